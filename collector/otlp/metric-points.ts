// Data points of every metric type, from protobuf or JSON, written as RowBinary
// rows of the exporter's metric tables (columns: collector/tables.ts).
// Field numbers — NumberDataPoint{attributes 7, start_time_unix_nano 2,
// time_unix_nano 3, as_double 4, as_int 6 (sfixed64), exemplars 5, flags 8};
// HistogramDataPoint{attributes 9, start 2, time 3, count 4, sum 5,
// bucket_counts 6, explicit_bounds 7, exemplars 8, flags 10, min 11, max 12};
// ExponentialHistogramDataPoint{attributes 1, start 2, time 3, count 4, sum 5,
// scale 6 (sint32), zero_count 7, positive 8, negative 9, flags 10,
// exemplars 11, min 12, max 13} with Buckets{offset 1 (sint32), bucket_counts 2};
// SummaryDataPoint{attributes 7, start 2, time 3, count 4, sum 5,
// quantile_values 6 = {quantile 1, value 2}, flags 8};
// Exemplar{filtered_attributes 7, time_unix_nano 2, as_double 3, as_int 6,
// span_id 4, trace_id 5}.

import { BinaryWriter } from '../rows/binary.ts'
import { ID_BAD, ID_EMPTY, jsonArray, jsonAttributeMap, jsonDouble, jsonIdInto, jsonInt32, jsonObject, jsonUint64Halves, writeAttribute, writeId, type Json } from './common.ts'
import { jsonAttributes } from './any-value.ts'
import { writeNanosClamped } from './decoded.ts'
import { DecodeError, ProtoReader, WIRE_FIXED64, WIRE_LEN, WIRE_VARINT, int64ToNumber } from './proto-reader.ts'

export type MetricType = 'gauge' | 'sum' | 'histogram' | 'exponentialHistogram' | 'summary'

/**
 * A Float64 as the exporter's tables have always received it from us: NaN as
 * the one NaN ClickHouse prints as `nan` (sign and payload dropped), −0 as 0.
 */
export function writeFloat(w: BinaryWriter, d: number): void {
  w.f64(d !== d ? NaN : d + 0)
}

/** The items of an Array column being collected for one point: encoded, and how many. */
class Items {
  readonly w = new BinaryWriter(4 * 1024)
  n = 0

  clear(): void {
    this.w.pos = 0
    this.n = 0
  }

  /** Writes the Array: count, then the items. */
  writeTo(out: BinaryWriter): void {
    out.varint(this.n)
    out.raw(this.w.buf, 0, this.w.pos)
  }
}

/** The five Array columns of the exporter's Exemplars Nested column, with one count. */
class Exemplars {
  readonly attributes = new Items()
  readonly times = new Items()
  readonly values = new Items()
  readonly spanIds = new Items()
  readonly traceIds = new Items()
  private readonly all = [this.attributes, this.times, this.values, this.spanIds, this.traceIds]
  n = 0

  clear(): void {
    for (const c of this.all) c.clear()
    this.n = 0
  }

  writeTo(out: BinaryWriter): void {
    for (const c of this.all) {
      c.n = this.n
      c.writeTo(out)
    }
  }
}

/**
 * The point being decoded: scalars as numbers (64-bit integers as halves), the
 * repeated fields already encoded. One instance serves every point (decoding is
 * synchronous); a scalar sent twice keeps its last value.
 */
export class PointState {
  startLo = 0
  startHi = 0
  timeLo = 0
  timeHi = 0
  flags = 0
  value = 0
  countLo = 0
  countHi = 0
  sum = 0
  min = 0
  max = 0
  scale = 0
  zeroCountLo = 0
  zeroCountHi = 0
  positiveOffset = 0
  negativeOffset = 0
  badExemplarId = false
  readonly attributes = new Items()
  readonly bucketCounts = new Items()
  readonly bounds = new Items()
  readonly positive = new Items()
  readonly negative = new Items()
  readonly quantiles = new Items()
  readonly quantileValues = new Items()
  readonly exemplars = new Exemplars()

  reset(): void {
    this.startLo = this.startHi = this.timeLo = this.timeHi = 0
    this.flags = this.value = this.countLo = this.countHi = this.sum = this.min = this.max = 0
    this.scale = this.zeroCountLo = this.zeroCountHi = this.positiveOffset = this.negativeOffset = 0
    this.badExemplarId = false
    this.attributes.clear()
    this.bucketCounts.clear()
    this.bounds.clear()
    this.positive.clear()
    this.negative.clear()
    this.quantiles.clear()
    this.quantileValues.clear()
    this.exemplars.clear()
  }

  /** Why the point cannot be stored, when it cannot. */
  refusal(): string | undefined {
    const counts = this.bucketCounts.n
    if (counts > 0 && counts !== this.bounds.n + 1) {
      return `histogram point with ${counts} bucket counts for ${this.bounds.n} bounds (expected bounds + 1)`
    }
    // DateTime64(9) ends in 2262: a uint64 nanosecond time with its top bit set is past it.
    if (this.startHi >= 0x80000000 || this.timeHi >= 0x80000000) return 'point time past the year 2262'
    if (this.badExemplarId) return 'exemplar with a trace or span id of the wrong length'
    return undefined
  }
}

/** Sum and gauge temporality/monotonicity, which come from the metric, not the point. */
export interface Aggregation {
  temporality: number
  monotonic: boolean
}

// ---- protobuf ----

type Role = 'attributes' | 'start' | 'time' | 'asDouble' | 'asInt' | 'exemplars' | 'flags' | 'count' | 'sum' | 'bucketCounts' | 'bounds' | 'min' | 'max' | 'scale' | 'zeroCount' | 'positive' | 'negative' | 'quantile'

const NUMBER_ROLES: Record<number, Role> = { 7: 'attributes', 2: 'start', 3: 'time', 4: 'asDouble', 6: 'asInt', 5: 'exemplars', 8: 'flags' }
const ROLES: Record<MetricType, Record<number, Role>> = {
  gauge: NUMBER_ROLES,
  sum: NUMBER_ROLES,
  histogram: { 9: 'attributes', 2: 'start', 3: 'time', 4: 'count', 5: 'sum', 6: 'bucketCounts', 7: 'bounds', 8: 'exemplars', 10: 'flags', 11: 'min', 12: 'max' },
  exponentialHistogram: { 1: 'attributes', 2: 'start', 3: 'time', 4: 'count', 5: 'sum', 6: 'scale', 7: 'zeroCount', 8: 'positive', 9: 'negative', 10: 'flags', 11: 'exemplars', 12: 'min', 13: 'max' },
  summary: { 7: 'attributes', 2: 'start', 3: 'time', 4: 'count', 5: 'sum', 6: 'quantile', 8: 'flags' },
}

const zigzag32 = (n: number) => (n >>> 1) ^ -(n & 1)

/** The end of a packed field of 8-byte values (the reader moved to its first value). */
function packed64(r: ProtoReader, end: number, what: string): number {
  const stop = r.delimited(end)
  if ((stop - r.pos) % 8 !== 0) throw new DecodeError(`packed ${what} of ${stop - r.pos} bytes, not a multiple of 8`)
  return stop
}

/** Repeated fixed64 (packed, or one value per field) as UInt64 items: the bytes are the same little-endian integers. */
function readFixed64s(r: ProtoReader, tag: number, end: number, into: Items): void {
  if ((tag & 7) === WIRE_LEN) {
    const stop = packed64(r, end, 'fixed64')
    into.n += (stop - r.pos) / 8
    into.w.raw(r.buf, r.pos, stop)
    r.pos = stop
  } else {
    r.expect(tag, WIRE_FIXED64, 'repeated fixed64')
    r.fixed64()
    into.w.raw(r.buf, r.pos - 8, r.pos)
    into.n++
  }
}

function readDoubles(r: ProtoReader, tag: number, end: number, into: Items): void {
  if ((tag & 7) === WIRE_LEN) {
    const stop = packed64(r, end, 'double')
    while (r.pos < stop) {
      writeFloat(into.w, r.double())
      into.n++
    }
  } else {
    r.expect(tag, WIRE_FIXED64, 'repeated double')
    writeFloat(into.w, r.double())
    into.n++
  }
}

/** Reads Buckets into `counts` (a field sent twice replaces them); returns the offset. */
function readBuckets(r: ProtoReader, end: number, counts: Items): number {
  counts.clear()
  let offset = 0
  while (r.pos < end) {
    const tag = r.tag(end)
    if (tag >>> 3 === 1) {
      r.expect(tag, WIRE_VARINT, 'Buckets.offset')
      offset = zigzag32(r.varint32())
    } else if (tag >>> 3 === 2) {
      if ((tag & 7) === WIRE_LEN) {
        const stop = r.delimited(end)
        while (r.pos < stop) {
          r.varint64()
          counts.w.u64(r.lo, r.hi)
          counts.n++
        }
      } else {
        r.expect(tag, WIRE_VARINT, 'Buckets.bucket_counts')
        r.varint64()
        counts.w.u64(r.lo, r.hi)
        counts.n++
      }
    } else r.skip(tag & 7, end)
  }
  return offset
}

function readQuantile(r: ProtoReader, end: number, p: PointState): void {
  let quantile = 0
  let value = 0
  while (r.pos < end) {
    const tag = r.tag(end)
    if (tag >>> 3 === 1 || tag >>> 3 === 2) {
      r.expect(tag, WIRE_FIXED64, 'ValueAtQuantile')
      if (tag >>> 3 === 1) quantile = r.double()
      else value = r.double()
    } else r.skip(tag & 7, end)
  }
  writeFloat(p.quantiles.w, quantile)
  writeFloat(p.quantileValues.w, value)
  p.quantiles.n++
  p.quantileValues.n++
}

function readExemplar(r: ProtoReader, end: number, p: PointState): void {
  const e = p.exemplars
  const attributes = e.attributes.w
  const at = attributes.beginCount()
  let count = 0
  let lo = 0
  let hi = 0
  let value = 0
  const spanIds = e.spanIds.w
  const traceIds = e.traceIds.w
  const spanMark = spanIds.pos
  const traceMark = traceIds.pos
  let spanId = ID_EMPTY
  let traceId = ID_EMPTY
  while (r.pos < end) {
    const tag = r.tag(end)
    switch (tag >>> 3) {
      case 7:
        r.expect(tag, WIRE_LEN, 'Exemplar.filtered_attributes')
        writeAttribute(r, end, attributes)
        count++
        break
      case 2:
        r.expect(tag, WIRE_FIXED64, 'Exemplar.time_unix_nano')
        r.fixed64()
        lo = r.lo
        hi = r.hi
        break
      case 3:
        r.expect(tag, WIRE_FIXED64, 'Exemplar.as_double')
        value = r.double()
        break
      case 6:
        r.expect(tag, WIRE_FIXED64, 'Exemplar.as_int')
        r.fixed64()
        value = int64ToNumber(r.lo, r.hi)
        break
      case 4:
        r.expect(tag, WIRE_LEN, 'Exemplar.span_id')
        spanIds.pos = spanMark
        spanId = writeId(r, end, 8, spanIds)
        break
      case 5:
        r.expect(tag, WIRE_LEN, 'Exemplar.trace_id')
        traceIds.pos = traceMark
        traceId = writeId(r, end, 16, traceIds)
        break
      default:
        r.skip(tag & 7, end)
    }
  }
  attributes.endCount(at, count)
  if (spanIds.pos === spanMark) spanIds.u8(0)
  if (traceIds.pos === traceMark) traceIds.u8(0)
  writeNanosClamped(e.times.w, lo, hi)
  writeFloat(e.values.w, value)
  e.n++
  if (spanId === ID_BAD || traceId === ID_BAD) p.badExemplarId = true
}

/** Reads a data point of `type` into `p` (reset first). */
export function readPoint(r: ProtoReader, end: number, type: MetricType, p: PointState): void {
  const roles = ROLES[type]
  p.reset()
  while (r.pos < end) {
    const tag = r.tag(end)
    const role = roles[tag >>> 3]
    switch (role) {
      case 'attributes':
        r.expect(tag, WIRE_LEN, 'attributes')
        writeAttribute(r, end, p.attributes.w)
        p.attributes.n++
        break
      case 'start':
        r.expect(tag, WIRE_FIXED64, role)
        r.fixed64()
        p.startLo = r.lo
        p.startHi = r.hi
        break
      case 'time':
        r.expect(tag, WIRE_FIXED64, role)
        r.fixed64()
        p.timeLo = r.lo
        p.timeHi = r.hi
        break
      case 'count':
        r.expect(tag, WIRE_FIXED64, role)
        r.fixed64()
        p.countLo = r.lo
        p.countHi = r.hi
        break
      case 'zeroCount':
        r.expect(tag, WIRE_FIXED64, role)
        r.fixed64()
        p.zeroCountLo = r.lo
        p.zeroCountHi = r.hi
        break
      case 'asDouble':
      case 'sum':
      case 'min':
      case 'max':
        r.expect(tag, WIRE_FIXED64, role)
        p[role === 'asDouble' ? 'value' : role] = r.double()
        break
      case 'asInt':
        r.expect(tag, WIRE_FIXED64, 'as_int')
        r.fixed64()
        p.value = int64ToNumber(r.lo, r.hi)
        break
      case 'flags':
        r.expect(tag, WIRE_VARINT, 'flags')
        p.flags = r.varint32()
        break
      case 'scale':
        r.expect(tag, WIRE_VARINT, 'scale')
        p.scale = zigzag32(r.varint32())
        break
      case 'bucketCounts':
        readFixed64s(r, tag, end, p.bucketCounts)
        break
      case 'bounds':
        readDoubles(r, tag, end, p.bounds)
        break
      case 'exemplars':
      case 'positive':
      case 'negative':
      case 'quantile': {
        r.expect(tag, WIRE_LEN, role)
        const stop = r.delimited(end)
        if (role === 'exemplars') readExemplar(r, stop, p)
        else if (role === 'quantile') readQuantile(r, stop, p)
        else if (role === 'positive') p.positiveOffset = readBuckets(r, stop, p.positive)
        else p.negativeOffset = readBuckets(r, stop, p.negative)
        r.pos = stop
        break
      }
      default:
        r.skip(tag & 7, end)
    }
  }
}

// ---- JSON ----

function jsonInt64Number(v: Json, path: string): number {
  if (typeof v === 'number' && Number.isInteger(v)) return v
  if (typeof v === 'string' && /^-?\d+$/.test(v)) return Number(v)
  throw new DecodeError(`${path}: expected an integer`)
}

function jsonUint64Items(list: Json, path: string, into: Items): void {
  jsonArray(list, path).forEach((c, i) => {
    const [lo, hi] = jsonUint64Halves(c, `${path}[${i}]`)
    into.w.u64(lo, hi)
    into.n++
  })
}

/** Reads a JSON data point of `type` into `p` (reset first). */
export function jsonPoint(v: Json, path: string, type: MetricType, p: PointState): void {
  const o = jsonObject(v, path)
  p.reset()
  const attributes = p.attributes
  jsonAttributes(o.attributes, `${path}.attributes`, (key, value) => {
    attributes.w.string(key)
    attributes.w.string(value)
    attributes.n++
  })
  ;[p.startLo, p.startHi] = jsonUint64Halves(o.startTimeUnixNano, `${path}.startTimeUnixNano`)
  ;[p.timeLo, p.timeHi] = jsonUint64Halves(o.timeUnixNano, `${path}.timeUnixNano`)
  p.flags = jsonInt32(o.flags, `${path}.flags`)
  if (type === 'gauge' || type === 'sum') {
    p.value = o.asInt !== undefined && o.asInt !== null ? jsonInt64Number(o.asInt, `${path}.asInt`) : jsonDouble(o.asDouble, `${path}.asDouble`)
  } else {
    ;[p.countLo, p.countHi] = jsonUint64Halves(o.count, `${path}.count`)
    p.sum = jsonDouble(o.sum, `${path}.sum`)
  }
  if (type === 'histogram' || type === 'exponentialHistogram') {
    p.min = jsonDouble(o.min, `${path}.min`)
    p.max = jsonDouble(o.max, `${path}.max`)
  }
  if (type === 'histogram') {
    jsonUint64Items(o.bucketCounts, `${path}.bucketCounts`, p.bucketCounts)
    jsonArray(o.explicitBounds, `${path}.explicitBounds`).forEach((b, i) => {
      writeFloat(p.bounds.w, jsonDouble(b, `${path}.explicitBounds[${i}]`))
      p.bounds.n++
    })
  }
  if (type === 'exponentialHistogram') {
    p.scale = jsonInt32(o.scale, `${path}.scale`)
    ;[p.zeroCountLo, p.zeroCountHi] = jsonUint64Halves(o.zeroCount, `${path}.zeroCount`)
    for (const side of ['positive', 'negative'] as const) {
      if (o[side] === undefined || o[side] === null) continue
      const b = jsonObject(o[side], `${path}.${side}`)
      jsonUint64Items(b.bucketCounts, `${path}.${side}.bucketCounts`, p[side])
      const offset = jsonInt32(b.offset, `${path}.${side}.offset`)
      if (side === 'positive') p.positiveOffset = offset
      else p.negativeOffset = offset
    }
  }
  if (type === 'summary') {
    jsonArray(o.quantileValues, `${path}.quantileValues`).forEach((q, i) => {
      const qo = jsonObject(q, `${path}.quantileValues[${i}]`)
      writeFloat(p.quantiles.w, jsonDouble(qo.quantile, `${path}.quantileValues[${i}].quantile`))
      writeFloat(p.quantileValues.w, jsonDouble(qo.value, `${path}.quantileValues[${i}].value`))
      p.quantiles.n++
      p.quantileValues.n++
    })
  }
  jsonArray(o.exemplars, `${path}.exemplars`).forEach((ev, i) => jsonExemplar(ev, `${path}.exemplars[${i}]`, p))
}

function jsonExemplar(v: Json, path: string, p: PointState): void {
  const e = jsonObject(v, path)
  const x = p.exemplars
  const value = e.asInt !== undefined && e.asInt !== null ? jsonInt64Number(e.asInt, `${path}.asInt`) : jsonDouble(e.asDouble, `${path}.asDouble`)
  jsonAttributeMap(e.filteredAttributes, `${path}.filteredAttributes`, x.attributes.w)
  const [lo, hi] = jsonUint64Halves(e.timeUnixNano, `${path}.timeUnixNano`)
  writeNanosClamped(x.times.w, lo, hi)
  writeFloat(x.values.w, value)
  const traceId = jsonIdInto(e.traceId, `${path}.traceId`, 16, x.traceIds.w)
  const spanId = jsonIdInto(e.spanId, `${path}.spanId`, 8, x.spanIds.w)
  if (traceId === ID_BAD || spanId === ID_BAD) p.badExemplarId = true
  x.n++
}

// ---- rows (after the 11 leading columns every metric table shares) ----

function writePointHead(out: BinaryWriter, p: PointState): void {
  p.attributes.writeTo(out)
  out.u64(p.startLo, p.startHi)
  out.u64(p.timeLo, p.timeHi)
}

function writeStats(out: BinaryWriter, p: PointState): void {
  out.u64(p.countLo, p.countHi)
  writeFloat(out, p.sum)
}

function writeTail(out: BinaryWriter, p: PointState, temporality: number): void {
  p.exemplars.writeTo(out)
  out.u32(p.flags)
  writeFloat(out, p.min)
  writeFloat(out, p.max)
  out.i32(temporality)
}

/** Writes the point's columns of a `type` table, in the order collector/tables.ts declares them. */
export function writePointColumns(out: BinaryWriter, p: PointState, type: MetricType, a: Aggregation): void {
  writePointHead(out, p)
  switch (type) {
    case 'gauge':
    case 'sum':
      writeFloat(out, p.value)
      out.u32(p.flags)
      p.exemplars.writeTo(out)
      if (type === 'sum') {
        out.i32(a.temporality)
        out.bool(a.monotonic)
      }
      break
    case 'histogram':
      writeStats(out, p)
      p.bucketCounts.writeTo(out)
      p.bounds.writeTo(out)
      writeTail(out, p, a.temporality)
      break
    case 'exponentialHistogram':
      writeStats(out, p)
      out.i32(p.scale)
      out.u64(p.zeroCountLo, p.zeroCountHi)
      out.i32(p.positiveOffset)
      p.positive.writeTo(out)
      out.i32(p.negativeOffset)
      p.negative.writeTo(out)
      writeTail(out, p, a.temporality)
      break
    case 'summary':
      writeStats(out, p)
      p.quantiles.writeTo(out)
      p.quantileValues.writeTo(out)
      out.u32(p.flags)
      break
  }
}
