// Data points of every metric type, from protobuf or JSON, and their rows.
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

import { MapText, arrayText, quoted, type RowBuffer } from '../rows/tsv.ts'
import { nanosText, nanosTextClamped } from './decoded.ts'
import { jsonArray, jsonDouble, jsonId, jsonInt32, jsonMapText, jsonObject, jsonUint64, readAttributeInto, readId, type Json } from './common.ts'
import { DecodeError, ProtoReader, WIRE_FIXED64, WIRE_LEN, WIRE_VARINT, int64ToNumber, uint64ToDecimal } from './proto-reader.ts'

export type MetricType = 'gauge' | 'sum' | 'histogram' | 'exponentialHistogram' | 'summary'

interface Exemplars {
  attributes: string[]
  times: string[]
  values: string[]
  spanIds: string[]
  traceIds: string[]
}

export interface Point {
  attributes: string
  start: string
  time: string
  flags: number
  value: number
  count: string
  sum: number
  min: number
  max: number
  bucketCounts: string[]
  bounds: number[]
  scale: number
  zeroCount: string
  positiveOffset: number
  positiveCounts: string[]
  negativeOffset: number
  negativeCounts: string[]
  quantiles: number[]
  quantileValues: number[]
  exemplars: Exemplars
  /** Why the point cannot be stored, when it cannot. */
  invalid?: string
}

function emptyPoint(): Point {
  return {
    attributes: '{}',
    start: '0',
    time: '0',
    flags: 0,
    value: 0,
    count: '0',
    sum: 0,
    min: 0,
    max: 0,
    bucketCounts: [],
    bounds: [],
    scale: 0,
    zeroCount: '0',
    positiveOffset: 0,
    positiveCounts: [],
    negativeOffset: 0,
    negativeCounts: [],
    quantiles: [],
    quantileValues: [],
    exemplars: { attributes: [], times: [], values: [], spanIds: [], traceIds: [] },
  }
}

/** A Float64 as ClickHouse text. */
export function float(d: number): string {
  if (Number.isNaN(d)) return 'nan'
  if (d === Infinity) return 'inf'
  if (d === -Infinity) return '-inf'
  return String(d)
}

function validate(p: Point): void {
  const start = nanosText(p.start)
  const time = nanosText(p.time)
  if (start === undefined || time === undefined) p.invalid = 'point time past the year 2262'
  else [p.start, p.time] = [start, time]
  if (p.bucketCounts.length > 0 && p.bucketCounts.length !== p.bounds.length + 1) {
    p.invalid = `histogram point with ${p.bucketCounts.length} bucket counts for ${p.bounds.length} bounds (expected bounds + 1)`
  }
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

/** Repeated fixed64 (packed, or one value per field). */
function readFixed64s(r: ProtoReader, tag: number, end: number, into: string[]): void {
  if ((tag & 7) === WIRE_LEN) {
    const stop = r.delimited(end)
    while (r.pos < stop) {
      r.fixed64()
      into.push(uint64ToDecimal(r.lo, r.hi))
    }
  } else {
    r.expect(tag, WIRE_FIXED64, 'repeated fixed64')
    r.fixed64()
    into.push(uint64ToDecimal(r.lo, r.hi))
  }
}

function readDoubles(r: ProtoReader, tag: number, end: number, into: number[]): void {
  if ((tag & 7) === WIRE_LEN) {
    const stop = r.delimited(end)
    while (r.pos < stop) into.push(r.double())
  } else {
    r.expect(tag, WIRE_FIXED64, 'repeated double')
    into.push(r.double())
  }
}

function readBuckets(r: ProtoReader, end: number, p: Point, positive: boolean): void {
  const counts: string[] = []
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
          counts.push(uint64ToDecimal(r.lo, r.hi))
        }
      } else {
        r.expect(tag, WIRE_VARINT, 'Buckets.bucket_counts')
        r.varint64()
        counts.push(uint64ToDecimal(r.lo, r.hi))
      }
    } else r.skip(tag & 7, end)
  }
  if (positive) {
    p.positiveOffset = offset
    p.positiveCounts = counts
  } else {
    p.negativeOffset = offset
    p.negativeCounts = counts
  }
}

function readQuantile(r: ProtoReader, end: number, p: Point): void {
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
  p.quantiles.push(quantile)
  p.quantileValues.push(value)
}

function readExemplar(r: ProtoReader, end: number, p: Point): void {
  const attributes = new MapText()
  let time = '0'
  let value = 0
  let spanId: string | undefined = ''
  let traceId: string | undefined = ''
  while (r.pos < end) {
    const tag = r.tag(end)
    switch (tag >>> 3) {
      case 7:
        r.expect(tag, WIRE_LEN, 'Exemplar.filtered_attributes')
        readAttributeInto(r, end, attributes)
        break
      case 2:
        r.expect(tag, WIRE_FIXED64, 'Exemplar.time_unix_nano')
        r.fixed64()
        time = uint64ToDecimal(r.lo, r.hi)
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
        spanId = readId(r, end, 8)
        break
      case 5:
        r.expect(tag, WIRE_LEN, 'Exemplar.trace_id')
        traceId = readId(r, end, 16)
        break
      default:
        r.skip(tag & 7, end)
    }
  }
  addExemplar(p, attributes.toString(), time, value, traceId, spanId)
}

function addExemplar(p: Point, attributes: string, time: string, value: number, traceId: string | undefined, spanId: string | undefined): void {
  if (traceId === undefined || spanId === undefined) p.invalid = 'exemplar with a trace or span id of the wrong length'
  const e = p.exemplars
  e.attributes.push(attributes)
  e.times.push(nanosTextClamped(time))
  e.values.push(float(value))
  e.spanIds.push(quoted(spanId ?? ''))
  e.traceIds.push(quoted(traceId ?? ''))
}

export function readPoint(r: ProtoReader, end: number, type: MetricType): Point {
  const roles = ROLES[type]
  const p = emptyPoint()
  const attributes = new MapText()
  while (r.pos < end) {
    const tag = r.tag(end)
    const role = roles[tag >>> 3]
    switch (role) {
      case 'attributes':
        r.expect(tag, WIRE_LEN, 'attributes')
        readAttributeInto(r, end, attributes)
        break
      case 'start':
      case 'time':
      case 'count':
      case 'zeroCount':
        r.expect(tag, WIRE_FIXED64, role)
        r.fixed64()
        p[role] = uint64ToDecimal(r.lo, r.hi)
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
        else readBuckets(r, stop, p, role === 'positive')
        r.pos = stop
        break
      }
      default:
        r.skip(tag & 7, end)
    }
  }
  p.attributes = attributes.toString()
  validate(p)
  return p
}

// ---- JSON ----

function jsonInt64Number(v: Json, path: string): number {
  if (typeof v === 'number' && Number.isInteger(v)) return v
  if (typeof v === 'string' && /^-?\d+$/.test(v)) return Number(v)
  throw new DecodeError(`${path}: expected an integer`)
}

export function jsonPoint(v: Json, path: string, type: MetricType): Point {
  const o = jsonObject(v, path)
  const p = emptyPoint()
  p.attributes = jsonMapText(o.attributes, `${path}.attributes`)
  p.start = jsonUint64(o.startTimeUnixNano, `${path}.startTimeUnixNano`)
  p.time = jsonUint64(o.timeUnixNano, `${path}.timeUnixNano`)
  p.flags = jsonInt32(o.flags, `${path}.flags`)
  if (type === 'gauge' || type === 'sum') {
    p.value = o.asInt !== undefined && o.asInt !== null ? jsonInt64Number(o.asInt, `${path}.asInt`) : jsonDouble(o.asDouble, `${path}.asDouble`)
  } else {
    p.count = jsonUint64(o.count, `${path}.count`)
    p.sum = jsonDouble(o.sum, `${path}.sum`)
  }
  if (type === 'histogram' || type === 'exponentialHistogram') {
    p.min = jsonDouble(o.min, `${path}.min`)
    p.max = jsonDouble(o.max, `${path}.max`)
  }
  if (type === 'histogram') {
    p.bucketCounts = jsonArray(o.bucketCounts, `${path}.bucketCounts`).map((c, i) => jsonUint64(c, `${path}.bucketCounts[${i}]`))
    p.bounds = jsonArray(o.explicitBounds, `${path}.explicitBounds`).map((b, i) => jsonDouble(b, `${path}.explicitBounds[${i}]`))
  }
  if (type === 'exponentialHistogram') {
    p.scale = jsonInt32(o.scale, `${path}.scale`)
    p.zeroCount = jsonUint64(o.zeroCount, `${path}.zeroCount`)
    for (const side of ['positive', 'negative'] as const) {
      if (o[side] === undefined || o[side] === null) continue
      const b = jsonObject(o[side], `${path}.${side}`)
      const counts = jsonArray(b.bucketCounts, `${path}.${side}.bucketCounts`).map((c, i) => jsonUint64(c, `${path}.${side}.bucketCounts[${i}]`))
      const offset = jsonInt32(b.offset, `${path}.${side}.offset`)
      if (side === 'positive') [p.positiveOffset, p.positiveCounts] = [offset, counts]
      else [p.negativeOffset, p.negativeCounts] = [offset, counts]
    }
  }
  if (type === 'summary') {
    jsonArray(o.quantileValues, `${path}.quantileValues`).forEach((q, i) => {
      const qo = jsonObject(q, `${path}.quantileValues[${i}]`)
      p.quantiles.push(jsonDouble(qo.quantile, `${path}.quantileValues[${i}].quantile`))
      p.quantileValues.push(jsonDouble(qo.value, `${path}.quantileValues[${i}].value`))
    })
  }
  jsonArray(o.exemplars, `${path}.exemplars`).forEach((ev, i) => {
    const epath = `${path}.exemplars[${i}]`
    const e = jsonObject(ev, epath)
    const value = e.asInt !== undefined && e.asInt !== null ? jsonInt64Number(e.asInt, `${epath}.asInt`) : jsonDouble(e.asDouble, `${epath}.asDouble`)
    addExemplar(p, jsonMapText(e.filteredAttributes, `${epath}.filteredAttributes`), jsonUint64(e.timeUnixNano, `${epath}.timeUnixNano`), value, jsonId(e.traceId, `${epath}.traceId`, 16), jsonId(e.spanId, `${epath}.spanId`, 8))
  })
  validate(p)
  return p
}

// ---- rows (after the 11 shared leading columns) ----

function pointHead(rows: RowBuffer, p: Point): void {
  rows.text(p.attributes)
  rows.tab()
  rows.text(p.start)
  rows.tab()
  rows.text(p.time)
  rows.tab()
}

function exemplars(rows: RowBuffer, e: Exemplars): void {
  for (const list of [e.attributes, e.times, e.values, e.spanIds, e.traceIds]) {
    rows.text(arrayText(list))
    rows.tab()
  }
}

function cells(rows: RowBuffer, ...values: string[]): void {
  for (const v of values) {
    rows.text(v)
    rows.tab()
  }
}

export function writeGauge(rows: RowBuffer, p: Point): void {
  pointHead(rows, p)
  cells(rows, float(p.value), String(p.flags))
  exemplars(rows, p.exemplars)
}

export function writeSum(rows: RowBuffer, p: Point, temporality: number, monotonic: boolean): void {
  writeGauge(rows, p)
  cells(rows, String(temporality), monotonic ? 'true' : 'false')
}

export function writeHistogram(rows: RowBuffer, p: Point, temporality: number): void {
  pointHead(rows, p)
  cells(rows, p.count, float(p.sum), arrayText(p.bucketCounts), arrayText(p.bounds.map(float)))
  exemplars(rows, p.exemplars)
  cells(rows, String(p.flags), float(p.min), float(p.max), String(temporality))
}

export function writeExponentialHistogram(rows: RowBuffer, p: Point, temporality: number): void {
  pointHead(rows, p)
  cells(rows, p.count, float(p.sum), String(p.scale), p.zeroCount, String(p.positiveOffset), arrayText(p.positiveCounts), String(p.negativeOffset), arrayText(p.negativeCounts))
  exemplars(rows, p.exemplars)
  cells(rows, String(p.flags), float(p.min), float(p.max), String(temporality))
}

export function writeSummary(rows: RowBuffer, p: Point): void {
  pointHead(rows, p)
  cells(rows, p.count, float(p.sum), arrayText(p.quantiles.map(float)), arrayText(p.quantileValues.map(float)), String(p.flags))
}


