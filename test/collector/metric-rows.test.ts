// Metric points as RowBinary rows: the column declarations against the
// exporter's tables, and the values a real SDK never sends (non-finite numbers,
// over 127 buckets so counts take two-byte varints, fields sent twice, data
// before the metric's name, 64-bit counts, times past 2262) read back.
import { beforeAll, describe, expect, it } from 'vitest'
import { OTEL_TABLES } from '../../storage/index.ts'
import { INSERT_FORMATS } from '../../collector/tables.ts'
import { EXPORTER_COLUMNS } from '../fixtures/otel-exporter-columns.ts'
import { sharedCollector } from './harness.ts'
import { concat, double, fixed64, len, packedDouble, packedFixed64, packedVarint, sint32, stringAttribute, uvarint } from './proto-writer.ts'

const shared = sharedCollector()

const METRIC_TABLES = [OTEL_TABLES.gauge, OTEL_TABLES.sum, OTEL_TABLES.histogram, OTEL_TABLES.exponentialHistogram, OTEL_TABLES.summary]

const post = (body: Buffer | string, type: string) => fetch(`${shared.c.url}/v1/metrics`, { method: 'POST', headers: { 'content-type': type }, body })

const T = 1714557600000000000n

describe('RowBinary columns of the metric tables', () => {
  it('declare every column of each exporter table, in its order, with its type', async () => {
    for (const table of METRIC_TABLES) {
      const format = INSERT_FORMATS.get(table)
      expect(format, table).toBeDefined()
      const columns = await shared.h.storage.query<{ name: string; type: string }>('SELECT name, type FROM system.columns WHERE database = currentDatabase() AND table = {t:String} ORDER BY position', { t: table })
      const stored = columns.filter((col) => !col.name.endsWith('Items')).map((col) => [col.name, col.type])
      expect(format!.columns.map((col) => [col.name, col.type]), table).toEqual(stored)
      expect(stored, table).toEqual(EXPORTER_COLUMNS[table])
    }
  })
})

// ---- protobuf ----

const resource = len(1, concat(stringAttribute(1, 'service.name', 'edge-proto'), stringAttribute(1, 'host.name', 'h1')))
const scope = len(1, concat(len(1, 'edge-meter'), len(2, '2.0'), stringAttribute(3, 'scope.attr', 's'), uvarint(4, 4)))
const dataPoints = (points: Buffer[]) => points.map((p) => len(1, p))

const exemplar = concat(stringAttribute(7, 'user', 'u1'), fixed64(2, T + 9n), fixed64(6, 17n), len(4, Buffer.from('00f067aa0ba902b7', 'hex')), len(5, Buffer.from('4bf92f3577b34da6a3ce929d0e0e4736', 'hex')))
const gaugePoints = [
  concat(fixed64(3, T), double(4, NaN)),
  concat(fixed64(3, T + 1n), double(4, Infinity)),
  concat(fixed64(3, T + 2n), double(4, -Infinity)),
  // Sent twice: the time, the value (as_double then as_int: the last wins), the flags; attributes accumulate.
  concat(fixed64(3, T + 100n), double(4, 1.5), stringAttribute(7, 'a', '1'), fixed64(3, T + 3n), fixed64(6, -7n), uvarint(8, 1), uvarint(8, 3), stringAttribute(7, 'b', '2'), len(5, exemplar)),
]
// The data comes before the name.
const gauge = len(2, concat(len(5, concat(...dataPoints(gaugePoints))), len(1, 'edge.gauge'), len(3, '1')))

const bucketCounts = Array.from({ length: 200 }, (_, i) => BigInt(i) * 4294967297n)
const bounds = Array.from({ length: 199 }, (_, i) => (i === 0 ? -Infinity : i / 4))
const histogramPoint = concat(
  fixed64(2, T - 1000n),
  fixed64(3, T),
  fixed64(4, 0xfffffffffffffff0n),
  double(5, NaN),
  // 200 counts in three pieces (two packed runs and one unpacked value), 199 bounds in two.
  packedFixed64(6, bucketCounts.slice(0, 150)),
  fixed64(6, bucketCounts[150]!),
  packedFixed64(6, bucketCounts.slice(151)),
  packedDouble(7, bounds.slice(0, 100)),
  packedDouble(7, bounds.slice(100)),
  double(11, -Infinity),
  double(12, Infinity),
  uvarint(10, 1),
)
// The temporality follows the points.
const histogram = len(2, concat(len(1, 'edge.histogram'), len(9, concat(...dataPoints([histogramPoint]), uvarint(2, 1)))))

const positiveCounts = Array.from({ length: 300 }, (_, i) => BigInt(i) * 1099511627776n)
const exponentialPoint = concat(
  fixed64(3, T),
  fixed64(4, 30n),
  double(5, 7.25),
  sint32(6, -2),
  fixed64(7, 9007199254740993n),
  // positive sent twice: the second replaces the first.
  len(8, concat(sint32(1, 9), packedVarint(2, [1, 2]))),
  len(8, concat(sint32(1, -3), packedVarint(2, positiveCounts))),
  len(9, concat(sint32(1, 5), packedVarint(2, [2n ** 63n]))),
  double(12, 0.5),
  double(13, NaN),
)
const exponential = len(2, concat(len(1, 'edge.exponential'), len(10, concat(uvarint(2, 2), ...dataPoints([exponentialPoint])))))

const quantile = (q: number, v: number) => len(6, concat(double(1, q), double(2, v)))
const summaryPoint = concat(fixed64(3, T), fixed64(4, 4n), double(5, -Infinity), quantile(0.5, NaN), quantile(0.99, 3), quantile(1, Infinity), uvarint(8, 1))
const summary = len(2, concat(len(1, 'edge.summary'), len(11, concat(...dataPoints([summaryPoint])))))

// One point past DateTime64(9)'s range (2262), one inside it.
const late = len(2, concat(len(1, 'edge.late'), len(5, concat(...dataPoints([concat(fixed64(3, 1n << 63n), double(4, 1)), concat(fixed64(3, (1n << 63n) - 1n), double(4, 2))])))))

const protoBody = len(1, concat(resource, len(2, concat(scope, gauge, histogram, exponential, summary, late))))

const text = (column: string) => `toString(${column})`
const texts = (column: string) => `arrayMap(x -> toString(x), ${column})`

describe('metric points over protobuf', () => {
  let response: { partialSuccess?: { rejectedDataPoints: string; errorMessage: string } }
  beforeAll(async () => {
    const res = await post(protoBody, 'application/x-protobuf')
    expect(res.status).toBe(200)
    response = { partialSuccess: await partialSuccess(res) }
  })

  it('refuses the point past 2262 and stores the one at its edge', async () => {
    expect(response.partialSuccess).toEqual({ rejectedDataPoints: '1', errorMessage: 'edge.late: point time past the year 2262' })
    const rows = await shared.h.storage.query(`SELECT Value, toString(toUnixTimestamp64Nano(TimeUnix)) AS t FROM ${OTEL_TABLES.gauge} WHERE MetricName = 'edge.late'`)
    expect(rows).toEqual([{ Value: 2, t: '9223372036854775807' }])
  })

  it('keeps NaN and ±Inf values, the last of a field sent twice, and every attribute', async () => {
    const rows = await shared.h.storage.query(
      `SELECT ${text('Value')} AS v, toString(toUnixTimestamp64Nano(TimeUnix)) AS t, Flags, Attributes, mapKeys(Attributes) AS keys, MetricUnit,
         ServiceName, ResourceAttributes, ScopeName, ScopeVersion, ScopeAttributes, ScopeDroppedAttrCount,
         Exemplars.Value AS ev, Exemplars.TraceId AS et, Exemplars.SpanId AS es, Exemplars.FilteredAttributes AS ea, arrayMap(x -> toString(toUnixTimestamp64Nano(x)), Exemplars.TimeUnix) AS etime
       FROM ${OTEL_TABLES.gauge} WHERE MetricName = 'edge.gauge' ORDER BY TimeUnix`,
    )
    expect(rows.map((r) => [r.v, r.t, r.Flags])).toEqual([
      ['nan', String(T), 0],
      ['inf', String(T + 1n), 0],
      ['-inf', String(T + 2n), 0],
      ['-7', String(T + 3n), 3],
    ])
    expect(rows[3]).toMatchObject({
      Attributes: { a: '1', b: '2' },
      keys: ['a', 'b'],
      MetricUnit: '1',
      ServiceName: 'edge-proto',
      ResourceAttributes: { 'service.name': 'edge-proto', 'host.name': 'h1' },
      ScopeName: 'edge-meter',
      ScopeVersion: '2.0',
      ScopeAttributes: { 'scope.attr': 's' },
      ScopeDroppedAttrCount: 4,
      ev: [17],
      et: ['4bf92f3577b34da6a3ce929d0e0e4736'],
      es: ['00f067aa0ba902b7'],
      ea: [{ user: 'u1' }],
      etime: [String(T + 9n)],
    })
    expect(rows[0]).toMatchObject({ ev: [], ea: [], keys: [] })
  })

  it('stores 200 histogram buckets (two-byte counts) with 64-bit counts and non-finite bounds and stats', async () => {
    const [row] = await shared.h.storage.query<Record<string, unknown>>(
      `SELECT Count, ${text('Sum')} AS sum, ${text('Min')} AS min, ${text('Max')} AS max, BucketCounts, ${texts('ExplicitBounds')} AS bounds, Flags, AggregationTemporality,
         toString(toUnixTimestamp64Nano(StartTimeUnix)) AS start
       FROM ${OTEL_TABLES.histogram} WHERE MetricName = 'edge.histogram'`,
    )
    expect(row).toMatchObject({ Count: '18446744073709551600', sum: 'nan', min: '-inf', max: 'inf', Flags: 1, AggregationTemporality: 1, start: String(T - 1000n) })
    expect(row!.BucketCounts).toEqual(bucketCounts.map(String))
    expect(row!.bounds).toEqual(bounds.map((b) => (b === -Infinity ? '-inf' : String(b))))
  })

  it('stores 300 exponential buckets, 64-bit counts, the last positive buckets sent, and negative offsets and scales', async () => {
    const [row] = await shared.h.storage.query<Record<string, unknown>>(
      `SELECT Count, Sum, Scale, ZeroCount, PositiveOffset, PositiveBucketCounts, NegativeOffset, NegativeBucketCounts, Min, ${text('Max')} AS max, AggregationTemporality
       FROM ${OTEL_TABLES.exponentialHistogram} WHERE MetricName = 'edge.exponential'`,
    )
    expect(row).toMatchObject({ Count: '30', Sum: 7.25, Scale: -2, ZeroCount: '9007199254740993', PositiveOffset: -3, NegativeOffset: 5, NegativeBucketCounts: ['9223372036854775808'], Min: 0.5, max: 'nan', AggregationTemporality: 2 })
    expect(row!.PositiveBucketCounts).toEqual(positiveCounts.map(String))
  })

  it('stores quantiles with non-finite values', async () => {
    const [row] = await shared.h.storage.query(
      `SELECT Count, ${text('Sum')} AS sum, ValueAtQuantiles.Quantile AS q, ${texts('ValueAtQuantiles.Value')} AS v, Flags FROM ${OTEL_TABLES.summary} WHERE MetricName = 'edge.summary'`,
    )
    expect(row).toEqual({ Count: '4', sum: '-inf', q: [0.5, 0.99, 1], v: ['nan', '3', 'inf'], Flags: 1 })
  })
})

async function partialSuccess(res: Response): Promise<{ rejectedDataPoints: string; errorMessage: string } | undefined> {
  // ExportMetricsServiceResponse{partial_success 1 = {rejected_data_points 1, error_message 2}}, all short here.
  const b = Buffer.from(await res.arrayBuffer())
  if (b.length === 0) return undefined
  expect(b[0]).toBe(0x0a)
  let pos = 2
  let rejected = 0
  let message = ''
  while (pos < b.length) {
    const tag = b[pos++]!
    if (tag === 0x08) {
      let shift = 0
      for (;;) {
        const x = b[pos++]!
        rejected += (x & 0x7f) * 2 ** shift
        shift += 7
        if (x < 0x80) break
      }
    } else if (tag === 0x12) {
      const n = b[pos++]!
      message = b.toString('utf8', pos, pos + n)
      pos += n
    } else break
  }
  return { rejectedDataPoints: String(rejected), errorMessage: message }
}

// ---- JSON ----

describe('metric points over JSON', () => {
  it('stores over 127 buckets and non-finite numbers given as strings', async () => {
    const counts = Array.from({ length: 130 }, (_, i) => String(i))
    const body = {
      resourceMetrics: [
        {
          resource: { attributes: [{ key: 'service.name', value: { stringValue: 'edge-json' } }] },
          scopeMetrics: [
            {
              metrics: [
                {
                  name: 'json.histogram',
                  histogram: {
                    aggregationTemporality: 2,
                    dataPoints: [{ timeUnixNano: String(T), count: '18446744073709551615', sum: 'NaN', bucketCounts: counts, explicitBounds: counts.slice(1).map((_, i) => (i === 0 ? '-Infinity' : i)), min: '-Infinity', max: 'Infinity' }],
                  },
                },
                { name: 'json.gauge', gauge: { dataPoints: [{ timeUnixNano: String(T), asDouble: 'Infinity' }, { timeUnixNano: String(T + 1n), asInt: '-9007199254740991' }] } },
              ],
            },
          ],
        },
      ],
    }
    expect((await post(JSON.stringify(body), 'application/json')).status).toBe(200)
    const [row] = await shared.h.storage.query<Record<string, unknown>>(
      `SELECT Count, ${text('Sum')} AS sum, ${text('Min')} AS min, ${text('Max')} AS max, BucketCounts, ${texts('ExplicitBounds')} AS bounds FROM ${OTEL_TABLES.histogram} WHERE ServiceName = 'edge-json'`,
    )
    expect(row).toMatchObject({ Count: '18446744073709551615', sum: 'nan', min: '-inf', max: 'inf', BucketCounts: counts })
    expect((row!.bounds as string[]).slice(0, 3)).toEqual(['-inf', '1', '2'])
    expect(row!.bounds).toHaveLength(129)
    const gauges = await shared.h.storage.query(`SELECT ${text('Value')} AS v FROM ${OTEL_TABLES.gauge} WHERE ServiceName = 'edge-json' ORDER BY TimeUnix`)
    expect(gauges).toEqual([{ v: 'inf' }, { v: '-9007199254740991' }])
  })
})
