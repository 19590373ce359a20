// Pieces every OTLP signal shares: resources, instrumentation scopes, ids,
// timestamps, and the type checks of the JSON encoding.

import { BinaryWriter, stringBytes } from '../rows/binary.ts'
import { jsonAttributes, writeKeyValue } from './any-value.ts'
import { DecodeError, ProtoReader, WIRE_LEN, WIRE_VARINT } from './proto-reader.ts'

export { DecodeError }

/** A resource's columns as RowBinary values, encoded once and repeated on every row of it. */
export interface Resource {
  /** Map(String, String) */
  attributes: Buffer
  /** String: the service.name attribute */
  serviceName: Buffer
  schemaUrl: Buffer
}

export interface Scope {
  name: Buffer
  version: Buffer
  attributes: Buffer
  droppedAttributesCount: number
  schemaUrl: Buffer
}

/** An empty String, and an empty Map: both a zero length or count. */
export const EMPTY_STRING = Buffer.from([0])
export const EMPTY_MAP = EMPTY_STRING

const SERVICE_NAME = Buffer.from('\x0cservice.name', 'latin1')

/** Writes a length-delimited KeyValue field as a map entry; true when its key is service.name. */
export function writeAttribute(r: ProtoReader, end: number, w: BinaryWriter): boolean {
  const stop = r.delimited(end)
  const keyAt = w.pos
  const valueAt = writeKeyValue(r, stop, w)
  r.pos = stop
  return valueAt - keyAt === SERVICE_NAME.length && SERVICE_NAME.equals(w.buf.subarray(keyAt, valueAt))
}

/** Scratch space for resource and scope attributes, copied out once complete. */
const headScratch = new BinaryWriter()

/** Reads a Resource message: attributes (1), dropped_attributes_count (2). */
export function readResource(r: ProtoReader, end: number, schemaUrl: Buffer): Resource {
  const w = headScratch
  w.reset()
  const at = w.beginCount()
  let count = 0
  let serviceName = EMPTY_STRING
  while (r.pos < end) {
    const tag = r.tag(end)
    if (tag >>> 3 === 1) {
      r.expect(tag, WIRE_LEN, 'Resource.attributes')
      const valueAt = w.pos
      if (writeAttribute(r, end, w)) serviceName = Buffer.from(w.buf.subarray(valueAt + SERVICE_NAME.length, w.pos))
      count++
    } else r.skip(tag & 7, end)
  }
  w.endCount(at, count)
  return { attributes: Buffer.from(w.view()), serviceName, schemaUrl }
}

/** Reads a length-delimited string field as RowBinary String bytes (a copy of the field's length and bytes). */
export function stringField(r: ProtoReader, end: number): Buffer {
  const start = r.pos
  r.pos = r.delimited(end)
  return Buffer.from(r.buf.subarray(start, r.pos))
}

/** Reads an InstrumentationScope: name (1), version (2), attributes (3), dropped_attributes_count (4). */
export function readScope(r: ProtoReader, end: number, schemaUrl: Buffer): Scope {
  const w = headScratch
  w.reset()
  const at = w.beginCount()
  let count = 0
  const scope: Scope = { name: EMPTY_STRING, version: EMPTY_STRING, attributes: EMPTY_MAP, droppedAttributesCount: 0, schemaUrl }
  while (r.pos < end) {
    const tag = r.tag(end)
    switch (tag >>> 3) {
      case 1:
        r.expect(tag, WIRE_LEN, 'InstrumentationScope.name')
        scope.name = stringField(r, end)
        break
      case 2:
        r.expect(tag, WIRE_LEN, 'InstrumentationScope.version')
        scope.version = stringField(r, end)
        break
      case 3:
        r.expect(tag, WIRE_LEN, 'InstrumentationScope.attributes')
        writeAttribute(r, end, w)
        count++
        break
      case 4:
        r.expect(tag, WIRE_VARINT, 'InstrumentationScope.dropped_attributes_count')
        scope.droppedAttributesCount = r.varint32()
        break
      default:
        r.skip(tag & 7, end)
    }
  }
  w.endCount(at, count)
  scope.attributes = Buffer.from(w.view())
  return scope
}

/** Writes an id field of `size` bytes as lowercase hex; '' when absent or all zero. */
export const ID_OK = 0
export const ID_EMPTY = 1
export const ID_BAD = 2

export function writeId(r: ProtoReader, end: number, size: number, w: BinaryWriter): number {
  const stop = r.delimited(end)
  const start = r.pos
  r.pos = stop
  if (stop - start !== size) {
    w.u8(0)
    return stop === start ? ID_EMPTY : ID_BAD
  }
  const buf = r.buf
  for (let i = start; i < stop; i++) {
    if (buf[i] !== 0) {
      w.hex(buf, start, stop)
      return ID_OK
    }
  }
  w.u8(0)
  return ID_EMPTY
}

/** Copies a length-delimited string field into `w` as a String (the bytes as sent). */
export function copyString(r: ProtoReader, end: number, w: BinaryWriter): void {
  const start = r.pos
  r.pos = r.delimited(end)
  w.raw(r.buf, start, r.pos)
}

/** A JSON hex id written as writeId writes a protobuf one. */
export function jsonIdInto(v: Json, path: string, size: number, w: BinaryWriter): number {
  const hex = jsonId(v, path, size)
  if (hex === undefined || hex === '') {
    w.u8(0)
    return hex === undefined ? ID_BAD : ID_EMPTY
  }
  w.string(hex)
  return ID_OK
}

/** A JSON uint64 as its low and high 32 bits. */
export function jsonUint64Halves(v: Json, path: string): [number, number] {
  if (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0) return [v >>> 0, Math.floor(v / 4294967296)]
  const n = BigInt(jsonUint64(v, path))
  return [Number(n & 0xffffffffn), Number(n >> 32n)]
}

/** JSON attributes as a RowBinary Map; `onService` gets the service.name value. */
export function jsonAttributeMap(list: Json, path: string, w: BinaryWriter, onService?: (value: string) => void): void {
  const at = w.beginCount()
  let count = 0
  jsonAttributes(list, path, (key, value) => {
    w.string(key)
    w.string(value)
    count++
    if (onService && key === 'service.name') onService(value)
  })
  w.endCount(at, count)
}

export function jsonResource(rs: JsonObject, path: string): Resource {
  const resource = rs.resource === undefined || rs.resource === null ? {} : jsonObject(rs.resource, `${path}.resource`)
  const w = headScratch
  w.reset()
  let serviceName = ''
  jsonAttributeMap(resource.attributes, `${path}.resource.attributes`, w, (v) => (serviceName = v))
  return { attributes: Buffer.from(w.view()), serviceName: stringBytes(serviceName), schemaUrl: stringBytes(jsonStr(rs.schemaUrl, `${path}.schemaUrl`)) }
}

export function jsonScope(ss: JsonObject, path: string): Scope {
  const scope = ss.scope === undefined || ss.scope === null ? {} : jsonObject(ss.scope, `${path}.scope`)
  const w = headScratch
  w.reset()
  jsonAttributeMap(scope.attributes, `${path}.scope.attributes`, w)
  return {
    name: stringBytes(jsonStr(scope.name, `${path}.scope.name`)),
    version: stringBytes(jsonStr(scope.version, `${path}.scope.version`)),
    attributes: Buffer.from(w.view()),
    droppedAttributesCount: jsonInt32(scope.droppedAttributesCount, `${path}.scope.droppedAttributesCount`),
    schemaUrl: stringBytes(jsonStr(ss.schemaUrl, `${path}.schemaUrl`)),
  }
}

// ---- JSON ----

export type Json = unknown
export type JsonObject = Record<string, Json>

export function jsonObject(v: Json, path: string): JsonObject {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) throw new DecodeError(`${path}: expected an object`)
  return v as JsonObject
}

export function jsonArray(v: Json, path: string): Json[] {
  if (v === undefined || v === null) return []
  if (!Array.isArray(v)) throw new DecodeError(`${path}: expected an array`)
  return v
}

export function jsonStr(v: Json, path: string): string {
  if (v === undefined || v === null) return ''
  if (typeof v !== 'string') throw new DecodeError(`${path}: expected a string`)
  return v
}

/** An integer field (int32/uint32/enum) given as a number or a decimal string. */
export function jsonInt32(v: Json, path: string): number {
  if (v === undefined || v === null) return 0
  const n = typeof v === 'string' && /^-?\d{1,11}$/.test(v) ? Number(v) : v
  if (typeof n !== 'number' || !Number.isInteger(n)) throw new DecodeError(`${path}: expected an integer`)
  return n
}

/** A uint64 (timestamps, counts) as a decimal string; numbers and decimal strings are accepted. */
export function jsonUint64(v: Json, path: string): string {
  if (v === undefined || v === null) return '0'
  if (typeof v === 'number' && Number.isInteger(v) && v >= 0) return BigInt(v).toString()
  // At most 20 digits: a uint64, and BigInt's cost grows faster than the length of its text.
  if (typeof v === 'string' && /^\d{1,20}$/.test(v)) {
    const n = BigInt(v)
    if (n < 2n ** 64n) return n.toString()
  }
  throw new DecodeError(`${path}: expected an unsigned 64-bit integer (number or decimal string)`)
}

/** A double given as a number or one of the strings "NaN", "Infinity", "-Infinity". */
export function jsonDouble(v: Json, path: string): number {
  if (v === undefined || v === null) return 0
  if (typeof v === 'number') return v
  if (v === 'NaN') return NaN
  if (v === 'Infinity') return Infinity
  if (v === '-Infinity') return -Infinity
  if (typeof v === 'string' && v.trim() !== '' && !Number.isNaN(Number(v))) return Number(v)
  throw new DecodeError(`${path}: expected a number`)
}

export function jsonBool(v: Json, path: string): boolean {
  if (v === undefined || v === null) return false
  if (typeof v !== 'boolean') throw new DecodeError(`${path}: expected a boolean`)
  return v
}

/** A hex id of `size` bytes (any case) as lowercase hex; '' when absent or all zero; undefined when malformed. */
export function jsonId(v: Json, path: string, size: number): string | undefined {
  if (v === undefined || v === null || v === '') return ''
  if (typeof v !== 'string') throw new DecodeError(`${path}: expected a hex string`)
  if (v.length !== size * 2 || !/^[0-9a-fA-F]+$/.test(v)) return undefined
  const hex = v.toLowerCase()
  return /^0+$/.test(hex) ? '' : hex
}

/**
 * Walks resource → scope → item for any signal: the three levels use the same
 * field numbers (group: resource 1, scope groups 2, schema_url 3; scope group:
 * scope 1, items 2, schema_url 3). Items are handed over as byte ranges once
 * their resource and scope are known, whatever order the fields came in.
 */
export function walkProto(body: Buffer, onItem: (r: ProtoReader, end: number, resource: Resource, scope: Scope) => void): void {
  const bytes = (r: ProtoReader, start: number, end: number) => (start < 0 ? EMPTY_STRING : Buffer.from(r.buf.subarray(start, end)))
  walkProtoWith(
    body,
    (r, end, url) => readResource(r, end, bytes(r, url[0], url[1])),
    (r, end, url) => readScope(r, end, bytes(r, url[0], url[1])),
    onItem,
  )
}

/** A schema_url field: from its length prefix to its end; [-1, -1] when absent. */
type UrlRange = [number, number]
type HeadReader<H> = (r: ProtoReader, end: number, schemaUrl: UrlRange) => H

function walkProtoWith<R, S>(body: Buffer, readResource: HeadReader<R>, readScope: HeadReader<S>, onItem: (r: ProtoReader, end: number, resource: R, scope: S) => void): void {
  const r = new ProtoReader(body)
  const end = body.length
  while (r.pos < end) {
    const tag = r.tag(end)
    if (tag >>> 3 === 1) {
      r.expect(tag, WIRE_LEN, 'resource group')
      const stop = r.delimited(end)
      readGroup(r, stop, (resourceEnd, schemaUrl) => readResource(r, resourceEnd, schemaUrl), (groupEnd, resource) =>
        readGroup(r, groupEnd, (scopeEnd, scopeUrl) => readScope(r, scopeEnd, scopeUrl), (itemEnd, scope) => onItem(r, itemEnd, resource, scope)),
      )
      r.pos = stop
    } else r.skip(tag & 7, end)
  }
}

function readGroup<H>(r: ProtoReader, end: number, readHead: (end: number, schemaUrl: UrlRange) => H, onChild: (end: number, head: H) => void): void {
  let headRange: [number, number] | undefined
  const schemaUrl: UrlRange = [-1, -1]
  const children: [number, number][] = []
  while (r.pos < end) {
    const tag = r.tag(end)
    const field = tag >>> 3
    if (field === 1 || field === 2) {
      r.expect(tag, WIRE_LEN, field === 1 ? 'resource or scope' : 'repeated items')
      const stop = r.delimited(end)
      if (field === 1) headRange = [r.pos, stop]
      else children.push([r.pos, stop])
      r.pos = stop
    } else if (field === 3) {
      r.expect(tag, WIRE_LEN, 'schema_url')
      schemaUrl[0] = r.pos
      r.pos = schemaUrl[1] = r.delimited(end)
    } else r.skip(tag & 7, end)
  }
  let head: H
  if (headRange) {
    r.pos = headRange[0]
    head = readHead(headRange[1], schemaUrl)
  } else {
    r.pos = end
    head = readHead(end, schemaUrl)
  }
  for (const [s, e] of children) {
    r.pos = s
    onChild(e, head)
  }
  r.pos = end
}

export interface JsonKeys {
  resourceGroups: string
  scopeGroups: string
  items: string
}

/** The JSON counterpart of walkProto. */
export function walkJson(doc: Json, keys: JsonKeys, onItem: (item: Json, path: string, resource: Resource, scope: Scope) => void): void {
  walkJsonWith(doc, keys, jsonResource, jsonScope, onItem)
}

function walkJsonWith<R, S>(
  doc: Json,
  keys: JsonKeys,
  readResource: (rs: JsonObject, path: string) => R,
  readScope: (ss: JsonObject, path: string) => S,
  onItem: (item: Json, path: string, resource: R, scope: S) => void,
): void {
  const root = jsonObject(doc, 'request')
  jsonArray(root[keys.resourceGroups], keys.resourceGroups).forEach((rgJson, i) => {
    const path = `${keys.resourceGroups}[${i}]`
    const rg = jsonObject(rgJson, path)
    const resource = readResource(rg, path)
    jsonArray(rg[keys.scopeGroups], `${path}.${keys.scopeGroups}`).forEach((sgJson, j) => {
      const spath = `${path}.${keys.scopeGroups}[${j}]`
      const sg = jsonObject(sgJson, spath)
      const scope = readScope(sg, spath)
      jsonArray(sg[keys.items], `${spath}.${keys.items}`).forEach((item, k) => onItem(item, `${spath}.${keys.items}[${k}]`, resource, scope))
    })
  })
}
