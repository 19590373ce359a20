// ExportMetricsServiceRequest → the five otel_metrics_* tables, one row per data
// point. Metric{name 1, description 2, unit 3, gauge 5, sum 7, histogram 9,
// exponential_histogram 10, summary 11}; Sum{data_points 1,
// aggregation_temporality 2, is_monotonic 3}; Histogram and
// ExponentialHistogram{data_points 1, aggregation_temporality 2}; Gauge and
// Summary{data_points 1}. Point and exemplar fields are listed in metric-points.ts.

import { OTEL_TABLES } from '../../storage/index.ts'
import { tsvField, type RowBuffer } from '../rows/tsv.ts'
import { jsonBool, jsonInt32, jsonObject, jsonStr, walkJson, walkProto, type Json, type JsonObject, type Resource, type Scope } from './common.ts'
import { Decoded, type Retention } from './decoded.ts'
import { ProtoReader, WIRE_LEN, WIRE_VARINT, DecodeError } from './proto-reader.ts'
import {
  jsonPoint,
  readPoint,
  writeExponentialHistogram,
  writeGauge,
  writeHistogram,
  writeSum,
  writeSummary,
  type MetricType,
  type Point,
} from './metric-points.ts'

export interface MetricFields {
  name: string
  description: string
  unit: string
  type: MetricType | undefined
  temporality: number
  monotonic: boolean
  points: Point[]
}

const TABLE: Record<MetricType, string> = {
  gauge: OTEL_TABLES.gauge,
  sum: OTEL_TABLES.sum,
  histogram: OTEL_TABLES.histogram,
  exponentialHistogram: OTEL_TABLES.exponentialHistogram,
  summary: OTEL_TABLES.summary,
}

/** The 11 leading columns every metric table shares, identical for all points of one metric. */
function metricHead(resource: Resource, scope: Scope, m: MetricFields): string {
  return [
    resource.attributes,
    tsvField(resource.schemaUrl),
    tsvField(scope.name),
    tsvField(scope.version),
    scope.attributes,
    String(scope.droppedAttributesCount),
    tsvField(scope.schemaUrl),
    tsvField(resource.serviceName),
    tsvField(m.name),
    tsvField(m.description),
    tsvField(m.unit),
  ].join('\t')
}

function writeMetric(out: Decoded, m: MetricFields, resource: Resource, scope: Scope): void {
  if (!m.type) return
  if (m.name === '') {
    out.reject('metric without a name', m.points.length)
    return
  }
  const rows: RowBuffer = out.rows(TABLE[m.type])
  const head = metricHead(resource, scope, m)
  for (const p of m.points) {
    if (p.invalid) {
      out.reject(`${m.name}: ${p.invalid}`)
      continue
    }
    if (out.rejectExpired(p.time, `${m.name}: point`)) continue
    rows.text(head)
    rows.tab()
    switch (m.type) {
      case 'gauge':
        writeGauge(rows, p)
        break
      case 'sum':
        writeSum(rows, p, m.temporality, m.monotonic)
        break
      case 'histogram':
        writeHistogram(rows, p, m.temporality)
        break
      case 'exponentialHistogram':
        writeExponentialHistogram(rows, p, m.temporality)
        break
      case 'summary':
        writeSummary(rows, p)
        break
    }
    rows.endRow()
    out.accepted++
  }
}

// ---- protobuf ----

export function decodeMetricsProto(body: Buffer, retention?: Retention): Decoded {
  const out = new Decoded(retention)
  walkProto(body, (r, end, resource, scope) => writeMetric(out, readMetric(r, end), resource, scope))
  return out
}

const DATA_FIELDS: Record<number, MetricType> = { 5: 'gauge', 7: 'sum', 9: 'histogram', 10: 'exponentialHistogram', 11: 'summary' }

function readMetric(r: ProtoReader, end: number): MetricFields {
  const m: MetricFields = { name: '', description: '', unit: '', type: undefined, temporality: 0, monotonic: false, points: [] }
  while (r.pos < end) {
    const tag = r.tag(end)
    const field = tag >>> 3
    if (field === 1) {
      r.expect(tag, WIRE_LEN, 'Metric.name')
      m.name = r.string(end)
    } else if (field === 2) {
      r.expect(tag, WIRE_LEN, 'Metric.description')
      m.description = r.string(end)
    } else if (field === 3) {
      r.expect(tag, WIRE_LEN, 'Metric.unit')
      m.unit = r.string(end)
    } else if (DATA_FIELDS[field]) {
      r.expect(tag, WIRE_LEN, `Metric.${DATA_FIELDS[field]}`)
      const stop = r.delimited(end)
      m.type = DATA_FIELDS[field]
      readData(r, stop, m)
      r.pos = stop
    } else r.skip(tag & 7, end)
  }
  return m
}

function readData(r: ProtoReader, end: number, m: MetricFields): void {
  const type = m.type!
  while (r.pos < end) {
    const tag = r.tag(end)
    const field = tag >>> 3
    if (field === 1) {
      r.expect(tag, WIRE_LEN, 'data_points')
      const stop = r.delimited(end)
      m.points.push(readPoint(r, stop, type))
      r.pos = stop
    } else if (field === 2 && type !== 'gauge' && type !== 'summary') {
      r.expect(tag, WIRE_VARINT, 'aggregation_temporality')
      m.temporality = r.varint32() | 0
    } else if (field === 3 && type === 'sum') {
      r.expect(tag, WIRE_VARINT, 'is_monotonic')
      r.varint64()
      m.monotonic = r.lo !== 0 || r.hi !== 0
    } else r.skip(tag & 7, end)
  }
}

// ---- JSON ----

const JSON_TYPES: MetricType[] = ['gauge', 'sum', 'histogram', 'exponentialHistogram', 'summary']

export function decodeMetricsJson(doc: Json, retention?: Retention): Decoded {
  const out = new Decoded(retention)
  walkJson(doc, { resourceGroups: 'resourceMetrics', scopeGroups: 'scopeMetrics', items: 'metrics' }, (item, path, resource, scope) => {
    writeMetric(out, jsonMetric(item, path), resource, scope)
  })
  return out
}

function jsonMetric(v: Json, path: string): MetricFields {
  const o = jsonObject(v, path)
  const m: MetricFields = {
    name: jsonStr(o.name, `${path}.name`),
    description: jsonStr(o.description, `${path}.description`),
    unit: jsonStr(o.unit, `${path}.unit`),
    type: undefined,
    temporality: 0,
    monotonic: false,
    points: [],
  }
  for (const type of JSON_TYPES) {
    if (o[type] === undefined || o[type] === null) continue
    const dpath = `${path}.${type}`
    const data: JsonObject = jsonObject(o[type], dpath)
    m.type = type
    m.temporality = jsonInt32(data.aggregationTemporality, `${dpath}.aggregationTemporality`)
    m.monotonic = jsonBool(data.isMonotonic, `${dpath}.isMonotonic`)
    const points = data.dataPoints ?? []
    if (!Array.isArray(points)) throw new DecodeError(`${dpath}.dataPoints: expected an array`)
    m.points = points.map((p, i) => jsonPoint(p, `${dpath}.dataPoints[${i}]`, type))
  }
  return m
}
