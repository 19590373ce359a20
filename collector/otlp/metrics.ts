// ExportMetricsServiceRequest → the five otel_metrics_* tables, one RowBinary
// row per data point (columns: collector/tables.ts). Metric{name 1,
// description 2, unit 3, gauge 5, sum 7, histogram 9, exponential_histogram 10,
// summary 11}; Sum{data_points 1, aggregation_temporality 2, is_monotonic 3};
// Histogram and ExponentialHistogram{data_points 1, aggregation_temporality 2};
// Gauge and Summary{data_points 1}. Point and exemplar fields are listed in
// metric-points.ts.
//
// Rows go straight into the exporter's tables, each repeating the resource and
// scope columns as bytes encoded once per metric. Grouping points per metric
// into an ingest table expanded by a view (as spans and log records are) did
// not pay off here; see docs/collector.md.

import { OTEL_TABLES } from '../../storage/index.ts'
import { BinaryWriter, stringBytes } from '../rows/binary.ts'
import { flatRows } from '../rows/flat.ts'
import { EMPTY_STRING, jsonBool, jsonInt32, jsonObject, jsonStr, walkJson, walkProto, type Json, type JsonObject, type Resource, type Scope } from './common.ts'
import { Decoded, type DecodeOptions } from './decoded.ts'
import { ProtoReader, WIRE_LEN, WIRE_VARINT, DecodeError } from './proto-reader.ts'
import { PointState, jsonPoint, readPoint, writePointColumns, type Aggregation, type MetricType } from './metric-points.ts'

const TABLE: Record<MetricType, string> = {
  gauge: OTEL_TABLES.gauge,
  sum: OTEL_TABLES.sum,
  histogram: OTEL_TABLES.histogram,
  exponentialHistogram: OTEL_TABLES.exponentialHistogram,
  summary: OTEL_TABLES.summary,
}

/** Decoding is synchronous: one point, one head and one aggregation serve every request. */
const point = new PointState()
const head = new BinaryWriter(4 * 1024)
const aggregation: Aggregation = { temporality: 0, monotonic: false }

/** Writes the 11 leading columns every metric table shares, identical for all points of one metric, into `head`. */
function writeHead(resource: Resource, scope: Scope, name: Buffer | Uint8Array, description: Uint8Array, unit: Uint8Array): void {
  const h = head
  h.reset()
  for (const b of [resource.attributes, resource.schemaUrl, scope.name, scope.version, scope.attributes]) h.raw(b, 0, b.length)
  h.u32(scope.droppedAttributesCount)
  for (const b of [scope.schemaUrl, resource.serviceName, name, description, unit]) h.raw(b, 0, b.length)
}

/** Writes the point in `point` as a row of `type`'s table, or refuses it; `what` is `<metric name>: point`, made once per metric. */
function writePoint(out: Decoded, type: MetricType, name: string, what: string): void {
  const refusal = point.refusal()
  if (refusal !== undefined) {
    out.reject(`${name}: ${refusal}`)
    return
  }
  if (out.rejectUntimelyNs(point.timeLo, point.timeHi, what)) return
  if (out.limiter) {
    point.attributes.n = out.limiter.entriesOf(point.attributes.w, 0, point.attributes.n)
    out.limiter.maps(point.exemplars.attributes.w, 0, point.exemplars.n)
  }
  const rows = flatRows(out.tables, TABLE[type])
  rows.out.raw(head.buf, 0, head.pos)
  writePointColumns(rows.out, point, type, aggregation)
  rows.rows++
  out.accepted++
}

// ---- protobuf ----

export function decodeMetricsProto(body: Buffer, options: DecodeOptions = {}): Decoded {
  const out = new Decoded(options.bounds, options.limits)
  walkProto(body, (r, end, resource, scope) => readMetric(out, r, end, resource, scope))
  return out
}

const DATA_FIELDS: Record<number, MetricType> = { 5: 'gauge', 7: 'sum', 9: 'histogram', 10: 'exponentialHistogram', 11: 'summary' }

/** Where a metric's data messages are: start and end offsets, in pairs. */
const dataRanges: number[] = []

/** A string field's RowBinary bytes (its length prefix and bytes as sent), or an empty String when absent. */
const fieldBytes = (r: ProtoReader, range: number[]) => (range[0]! < 0 ? EMPTY_STRING : r.buf.subarray(range[0]!, range[1]!))

function readMetric(out: Decoded, r: ProtoReader, end: number, resource: Resource, scope: Scope): void {
  out.limiter?.resourceAndScope(resource, scope)
  // The name, description and unit may follow the points: find every field first.
  const name = [-1, -1]
  const description = [-1, -1]
  const unit = [-1, -1]
  let dataField = 0
  dataRanges.length = 0
  while (r.pos < end) {
    const tag = r.tag(end)
    const field = tag >>> 3
    if (field >= 1 && field <= 3) {
      r.expect(tag, WIRE_LEN, field === 1 ? 'Metric.name' : field === 2 ? 'Metric.description' : 'Metric.unit')
      const range = field === 1 ? name : field === 2 ? description : unit
      range[0] = r.pos
      r.pos = range[1] = r.delimited(end)
    } else if (DATA_FIELDS[field]) {
      r.expect(tag, WIRE_LEN, `Metric.${DATA_FIELDS[field]}`)
      const stop = r.delimited(end)
      // A oneof: another member replaces the data; the same member sent twice is merged.
      if (field !== dataField) dataRanges.length = 0
      dataField = field
      dataRanges.push(r.pos, stop)
      r.pos = stop
    } else r.skip(tag & 7, end)
  }
  if (dataField === 0) return
  const type = DATA_FIELDS[dataField]!
  const points = readAggregation(r, type)
  const nameBytes = fieldBytes(r, name)
  const unnamed = name[0]! < 0 || r.varintEnd(name[0]!) === name[1]
  const nameText = unnamed ? '' : r.buf.toString('utf8', r.varintEnd(name[0]!), name[1])
  const what = `${nameText}: point`
  writeHead(resource, scope, nameBytes, fieldBytes(r, description), fieldBytes(r, unit))
  for (let i = 0; i < dataRanges.length; i += 2) {
    const stop = dataRanges[i + 1]!
    r.pos = dataRanges[i]!
    while (r.pos < stop) {
      const tag = r.tag(stop)
      if (tag >>> 3 !== 1) {
        r.skip(tag & 7, stop)
        continue
      }
      const pointEnd = r.delimited(stop)
      readPoint(r, pointEnd, type, point)
      r.pos = pointEnd
      if (!unnamed) writePoint(out, type, nameText, what)
    }
  }
  if (unnamed) out.reject('metric without a name', points)
  r.pos = end
}

/** Reads the data messages' temporality and monotonicity into `aggregation` (they may follow the points); returns how many points there are. */
function readAggregation(r: ProtoReader, type: MetricType): number {
  aggregation.temporality = 0
  aggregation.monotonic = false
  let points = 0
  for (let i = 0; i < dataRanges.length; i += 2) {
    const end = dataRanges[i + 1]!
    r.pos = dataRanges[i]!
    while (r.pos < end) {
      const tag = r.tag(end)
      const field = tag >>> 3
      if (field === 1) {
        r.expect(tag, WIRE_LEN, 'data_points')
        r.pos = r.delimited(end)
        points++
      } else if (field === 2 && type !== 'gauge' && type !== 'summary') {
        r.expect(tag, WIRE_VARINT, 'aggregation_temporality')
        aggregation.temporality = r.varint32() | 0
      } else if (field === 3 && type === 'sum') {
        r.expect(tag, WIRE_VARINT, 'is_monotonic')
        r.varint64()
        aggregation.monotonic = r.lo !== 0 || r.hi !== 0
      } else r.skip(tag & 7, end)
    }
  }
  return points
}

// ---- JSON ----

const JSON_TYPES: MetricType[] = ['gauge', 'sum', 'histogram', 'exponentialHistogram', 'summary']

export function decodeMetricsJson(doc: Json, options: DecodeOptions = {}): Decoded {
  const out = new Decoded(options.bounds, options.limits)
  walkJson(doc, { resourceGroups: 'resourceMetrics', scopeGroups: 'scopeMetrics', items: 'metrics' }, (item, path, resource, scope) => {
    jsonMetric(out, item, path, resource, scope)
  })
  return out
}

function jsonMetric(out: Decoded, v: Json, path: string, resource: Resource, scope: Scope): void {
  out.limiter?.resourceAndScope(resource, scope)
  const o = jsonObject(v, path)
  const name = jsonStr(o.name, `${path}.name`)
  const description = jsonStr(o.description, `${path}.description`)
  const unit = jsonStr(o.unit, `${path}.unit`)
  // The last type present wins; the points of any other are still checked.
  const types = JSON_TYPES.filter((t) => o[t] !== undefined && o[t] !== null)
  const last = types[types.length - 1]
  if (last === undefined) return
  writeHead(resource, scope, stringBytes(name), stringBytes(description), stringBytes(unit))
  const what = `${name}: point`
  for (const type of types) {
    const dpath = `${path}.${type}`
    const data: JsonObject = jsonObject(o[type], dpath)
    aggregation.temporality = jsonInt32(data.aggregationTemporality, `${dpath}.aggregationTemporality`)
    aggregation.monotonic = jsonBool(data.isMonotonic, `${dpath}.isMonotonic`)
    const points = data.dataPoints ?? []
    if (!Array.isArray(points)) throw new DecodeError(`${dpath}.dataPoints: expected an array`)
    points.forEach((p, i) => {
      jsonPoint(p, `${dpath}.dataPoints[${i}]`, type, point)
      if (type === last && name !== '') writePoint(out, type, name, what)
    })
    if (type === last && name === '') out.reject('metric without a name', points.length)
  }
}
