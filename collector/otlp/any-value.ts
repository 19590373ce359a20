// Attribute values as the OpenTelemetry Collector's ClickHouse exporter stores
// them: pdata's Value.AsString(). Strings as they are; booleans true/false;
// integers in decimal; doubles in the shortest form that round-trips, with an
// exponent below 1e-6 and from 1e21 on (ES6 number formatting, which is also
// what JavaScript's String(number) does); bytes as standard base64; arrays and
// maps as JSON without HTML escaping, map keys sorted, nested bytes as base64.
// A non-finite double renders as "json: unsupported value: NaN" (or ±Inf), and
// an array or map that contains one renders as "" (Go's json.Marshal fails).

import type { BinaryWriter } from '../rows/binary.ts'
import { DecodeError, ProtoReader, WIRE_FIXED64, WIRE_LEN, WIRE_VARINT, int64ToDecimal } from './proto-reader.ts'

/** A structured value, kept only for arrays and maps, which render as JSON. */
export type RawValue = string | boolean | number | IntValue | Buffer | RawValue[] | RawMap | null
export class IntValue {
  constructor(readonly decimal: string) {}
}
export class RawMap {
  readonly entries = new Map<string, RawValue>()
}

class NonFinite extends Error {}

export function formatDouble(d: number): string {
  if (!Number.isFinite(d)) return `json: unsupported value: ${Number.isNaN(d) ? 'NaN' : d > 0 ? '+Inf' : '-Inf'}`
  return Object.is(d, -0) ? '-0' : String(d)
}

function jsonString(s: string): string {
  const j = JSON.stringify(s)
  return /[\u2028\u2029]/.test(j) ? j.replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029') : j
}

function toJson(v: RawValue): string {
  if (v === null) return 'null'
  if (typeof v === 'string') return jsonString(v)
  if (typeof v === 'boolean') return v ? 'true' : 'false'
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) throw new NonFinite()
    return Object.is(v, -0) ? '-0' : String(v)
  }
  if (v instanceof IntValue) return v.decimal
  if (Buffer.isBuffer(v)) return `"${v.toString('base64')}"`
  if (Array.isArray(v)) return `[${v.map(toJson).join(',')}]`
  const keys = [...v.entries.keys()].sort()
  return `{${keys.map((k) => `${jsonString(k)}:${toJson(v.entries.get(k)!)}`).join(',')}}`
}

/** Renders a structured value as the exporter does; scalars never reach here. */
export function renderRaw(v: RawValue): string {
  if (v === null) return ''
  if (typeof v === 'string') return v
  if (typeof v === 'boolean') return v ? 'true' : 'false'
  if (typeof v === 'number') return formatDouble(v)
  if (v instanceof IntValue) return v.decimal
  if (Buffer.isBuffer(v)) return v.toString('base64')
  try {
    return toJson(v)
  } catch (err) {
    if (err instanceof NonFinite) return ''
    throw err
  }
}

/**
 * How deep arrays and maps may nest in one AnyValue. The decoders recurse, and
 * rendering as JSON too: without a bound, a body of nested values exhausts the
 * stack (or, short of that, holds the thread).
 */
export const MAX_ANY_VALUE_DEPTH = 32

function checkDepth(depth: number): void {
  if (depth > MAX_ANY_VALUE_DEPTH) throw new DecodeError(`an attribute value nests arrays or maps deeper than ${MAX_ANY_VALUE_DEPTH} levels`)
}

// ---- protobuf ----

/** Reads one AnyValue message into a RawValue (the last oneof field wins). */
export function readAnyValueRaw(r: ProtoReader, end: number, depth = 0): RawValue {
  checkDepth(depth)
  let value: RawValue = null
  while (r.pos < end) value = readAnyValueField(r, end, value, depth)
  return value
}

function readAnyValueField(r: ProtoReader, end: number, current: RawValue, depth: number): RawValue {
  const tag = r.tag(end)
  switch (tag >>> 3) {
    case 1:
      r.expect(tag, WIRE_LEN, 'AnyValue.string_value')
      return r.string(end)
    case 2:
      r.expect(tag, WIRE_VARINT, 'AnyValue.bool_value')
      r.varint64()
      return r.lo !== 0 || r.hi !== 0
    case 3:
      r.expect(tag, WIRE_VARINT, 'AnyValue.int_value')
      r.varint64()
      return new IntValue(int64ToDecimal(r.lo, r.hi))
    case 4:
      r.expect(tag, WIRE_FIXED64, 'AnyValue.double_value')
      return r.double()
    case 5: {
      r.expect(tag, WIRE_LEN, 'AnyValue.array_value')
      const stop = r.delimited(end)
      const items: RawValue[] = []
      while (r.pos < stop) {
        const t = r.tag(stop)
        if (t >>> 3 === 1) {
          r.expect(t, WIRE_LEN, 'ArrayValue.values')
          const s = r.delimited(stop)
          items.push(readAnyValueRaw(r, s, depth + 1))
          r.pos = s
        } else r.skip(t & 7, stop)
      }
      return items
    }
    case 6: {
      r.expect(tag, WIRE_LEN, 'AnyValue.kvlist_value')
      const stop = r.delimited(end)
      const map = new RawMap()
      while (r.pos < stop) {
        const t = r.tag(stop)
        if (t >>> 3 === 1) {
          r.expect(t, WIRE_LEN, 'KeyValueList.values')
          const s = r.delimited(stop)
          readKeyValueRaw(r, s, map, depth + 1)
          r.pos = s
        } else r.skip(t & 7, stop)
      }
      return map
    }
    case 7: {
      r.expect(tag, WIRE_LEN, 'AnyValue.bytes_value')
      const stop = r.delimited(end)
      const bytes = Buffer.from(r.buf.subarray(r.pos, stop))
      r.pos = stop
      return bytes
    }
    default:
      r.skip(tag & 7, end)
      return current
  }
}

/** Reads a KeyValue message: the key, and the value through `readValue` (which leaves the reader anywhere inside it). */
function readKeyValueWith<V>(r: ProtoReader, end: number, readValue: (r: ProtoReader, end: number) => V, empty: V): [string, V] {
  let key = ''
  let value = empty
  while (r.pos < end) {
    const tag = r.tag(end)
    if (tag >>> 3 === 1) {
      r.expect(tag, WIRE_LEN, 'KeyValue.key')
      key = r.string(end)
    } else if (tag >>> 3 === 2) {
      r.expect(tag, WIRE_LEN, 'KeyValue.value')
      const stop = r.delimited(end)
      value = readValue(r, stop)
      r.pos = stop
    } else r.skip(tag & 7, end)
  }
  return [key, value]
}

function readKeyValueRaw(r: ProtoReader, end: number, into: RawMap, depth: number): void {
  const [key, value] = readKeyValueWith<RawValue>(r, end, (reader, stop) => readAnyValueRaw(reader, stop, depth), null)
  into.entries.set(key, value)
}

// ---- protobuf → RowBinary ----

/**
 * Writes an AnyValue message (the reader sits at its first field) as a RowBinary
 * String. A value that is one string_value field, the usual case, is copied as
 * sent: protobuf's length prefix and bytes are already a RowBinary String.
 */
export function writeAnyValue(r: ProtoReader, end: number, w: BinaryWriter): void {
  const start = r.pos
  if (start >= end) {
    w.u8(0)
    return
  }
  if (r.buf[start] === 0x0a) {
    r.pos = start + 1
    if (r.delimited(end) === end) {
      w.raw(r.buf, start + 1, end)
      r.pos = end
      return
    }
    r.pos = start
  }
  w.string(renderRaw(readAnyValueRaw(r, end)))
}

/**
 * Writes a KeyValue message as a Map entry, key then value; returns where the
 * value starts in `w` (the key is what precedes it, from where `w` was).
 */
export function writeKeyValue(r: ProtoReader, end: number, w: BinaryWriter): number {
  const buf = r.buf
  let keyStart = -1
  let keyEnd = -1
  let valueStart = -1
  let valueEnd = -1
  while (r.pos < end) {
    const tag = r.tag(end)
    if (tag === 0x0a) {
      keyStart = r.pos
      keyEnd = r.delimited(end)
      r.pos = keyEnd
    } else if (tag === 0x12) {
      valueEnd = r.delimited(end)
      valueStart = r.pos
      r.pos = valueEnd
    } else if (tag >>> 3 === 1 || tag >>> 3 === 2) {
      r.expect(tag, WIRE_LEN, tag >>> 3 === 1 ? 'KeyValue.key' : 'KeyValue.value')
    } else r.skip(tag & 7, end)
  }
  if (keyStart < 0) w.u8(0)
  else w.raw(buf, keyStart, keyEnd)
  const at = w.pos
  if (valueStart < 0) w.u8(0)
  else {
    r.pos = valueStart
    writeAnyValue(r, valueEnd, w)
  }
  r.pos = end
  return at
}

// ---- JSON ----

type Json = unknown

function jsonInt(v: Json, path: string): string {
  if (typeof v === 'number' && Number.isInteger(v)) return String(v)
  // At most 20 digits before BigInt, whose cost grows faster than the length of its text.
  if (typeof v === 'string' && /^-?\d{1,20}$/.test(v)) {
    const n = BigInt(v)
    if (n === BigInt.asIntN(64, n)) return n.toString()
  }
  throw new DecodeError(`${path}: expected a 64-bit integer (number or decimal string)`)
}

function jsonDouble(v: Json, path: string): number {
  if (typeof v === 'number') return v
  if (typeof v === 'string') {
    if (v === 'NaN') return NaN
    if (v === 'Infinity') return Infinity
    if (v === '-Infinity') return -Infinity
    const n = Number(v)
    if (v.trim() !== '' && !Number.isNaN(n)) return n
  }
  throw new DecodeError(`${path}: expected a number`)
}

/** An OTLP/JSON AnyValue object as a RawValue. */
export function jsonAnyValueRaw(v: Json, path: string, depth = 0): RawValue {
  checkDepth(depth)
  if (v === null || v === undefined) return null
  if (typeof v !== 'object' || Array.isArray(v)) throw new DecodeError(`${path}: expected an AnyValue object`)
  const o = v as Record<string, Json>
  if ('stringValue' in o) {
    if (typeof o.stringValue !== 'string') throw new DecodeError(`${path}.stringValue: expected a string`)
    return o.stringValue
  }
  if ('boolValue' in o) {
    if (typeof o.boolValue !== 'boolean') throw new DecodeError(`${path}.boolValue: expected a boolean`)
    return o.boolValue
  }
  if ('intValue' in o) return new IntValue(jsonInt(o.intValue, `${path}.intValue`))
  if ('doubleValue' in o) return jsonDouble(o.doubleValue, `${path}.doubleValue`)
  if ('bytesValue' in o) {
    if (typeof o.bytesValue !== 'string') throw new DecodeError(`${path}.bytesValue: expected a base64 string`)
    return Buffer.from(o.bytesValue, 'base64')
  }
  if ('arrayValue' in o) {
    const values = (o.arrayValue as { values?: Json } | null)?.values ?? []
    if (!Array.isArray(values)) throw new DecodeError(`${path}.arrayValue.values: expected an array`)
    return values.map((item, i) => jsonAnyValueRaw(item, `${path}.arrayValue.values[${i}]`, depth + 1))
  }
  if ('kvlistValue' in o) {
    const values = (o.kvlistValue as { values?: Json } | null)?.values ?? []
    const map = new RawMap()
    jsonKeyValueList(values, `${path}.kvlistValue.values`, (key, value, valuePath) => map.entries.set(key, jsonAnyValueRaw(value, valuePath, depth + 1)))
    return map
  }
  return null
}

export function jsonAnyValueString(v: Json, path: string): string {
  if (v !== null && typeof v === 'object' && typeof (v as { stringValue?: unknown }).stringValue === 'string') {
    return (v as { stringValue: string }).stringValue
  }
  return renderRaw(jsonAnyValueRaw(v, path))
}

/** Walks an OTLP/JSON KeyValue list, handing each key and its value (still JSON) and path to `add`. */
function jsonKeyValueList(list: Json, path: string, add: (key: string, value: Json, valuePath: string) => void): void {
  if (list === undefined || list === null) return
  if (!Array.isArray(list)) throw new DecodeError(`${path}: expected an array`)
  for (let i = 0; i < list.length; i++) {
    const kv = list[i] as { key?: Json; value?: Json } | null
    if (kv === null || typeof kv !== 'object') throw new DecodeError(`${path}[${i}]: expected a KeyValue object`)
    if (kv.key !== undefined && typeof kv.key !== 'string') throw new DecodeError(`${path}[${i}].key: expected a string`)
    add(kv.key ?? '', kv.value, `${path}[${i}].value`)
  }
}

/** Calls `add(key, renderedValue)` for each element of an OTLP/JSON attribute list. */
export function jsonAttributes(list: Json, path: string, add: (key: string, value: string) => void): void {
  jsonKeyValueList(list, path, (key, value, valuePath) => add(key, jsonAnyValueString(value, valuePath)))
}
