import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { AggregationType, MeterProvider, PeriodicExportingMetricReader, type PushMetricExporter } from '@opentelemetry/sdk-metrics'
import { resourceFromAttributes } from '@opentelemetry/resources'
import { OTLPMetricExporter as JsonMetricExporter } from '@opentelemetry/exporter-metrics-otlp-http'
import { OTLPMetricExporter as ProtoMetricExporter } from '@opentelemetry/exporter-metrics-otlp-proto'
import { sharedCollector } from './harness.ts'
import { peersPath } from '../support/peers.ts'
import { requirePeers } from '../support/needs.ts'

const shared = sharedCollector()

const rowsOf = <T = Record<string, unknown>>(table: string, service: string) =>
  shared.h.storage.query<T & Record<string, unknown>>(
    `SELECT * EXCEPT (StartTimeUnix, TimeUnix, \`Exemplars.TimeUnix\`), toString(toUnixTimestamp64Nano(TimeUnix)) AS time, toString(toUnixTimestamp64Nano(StartTimeUnix)) AS start
     FROM ${table} WHERE ServiceName = {s:String} ORDER BY MetricName`,
    { s: service },
  )

const post = (body: string) => fetch(`${shared.c.url}/v1/metrics`, { method: 'POST', headers: { 'content-type': 'application/json' }, body })

describe('OTLP/HTTP metrics from the OpenTelemetry SDK', () => {
  it.each([
    ['JSON', (url: string) => new JsonMetricExporter({ url })],
    ['protobuf', (url: string) => new ProtoMetricExporter({ url })],
  ])('stores sums, gauges, histograms and exponential histograms sent as %s', async (encoding, makeExporter: (url: string) => PushMetricExporter) => {
    const service = `inventory-${encoding}`
    const provider = new MeterProvider({
      resource: resourceFromAttributes({ 'service.name': service, 'service.version': '3.1.0' }),
      readers: [new PeriodicExportingMetricReader({ exporter: makeExporter(`${shared.c.url}/v1/metrics`), exportIntervalMillis: 3_600_000 })],
      views: [
        { instrumentName: 'latency', aggregation: { type: AggregationType.EXPLICIT_BUCKET_HISTOGRAM, options: { boundaries: [10, 100] } } },
        { instrumentName: 'payload', aggregation: { type: AggregationType.EXPONENTIAL_HISTOGRAM } },
      ],
    })
    const meter = provider.getMeter('inventory-meter', '0.9.0')
    const requests = meter.createCounter('requests', { description: 'Requests served', unit: '{request}' })
    requests.add(3, { route: '/items' })
    requests.add(4, { route: '/items' })
    const inflight = meter.createUpDownCounter('inflight')
    inflight.add(5)
    inflight.add(-2)
    meter.createGauge('temperature', { unit: 'Cel' }).record(42.5, { room: 'a' })
    const latency = meter.createHistogram('latency', { unit: 'ms' })
    for (const v of [5, 50, 500]) latency.record(v)
    const payload = meter.createHistogram('payload', { unit: 'By' })
    for (const v of [1, 2, 4]) payload.record(v)
    await provider.shutdown() // exports once more, then stops

    const sums = await rowsOf('otel_metrics_sum', service)
    expect(sums.map((r) => [r.MetricName, r.Value, r.AggregationTemporality, r.IsMonotonic])).toEqual([
      ['inflight', 3, 2, false],
      ['requests', 7, 2, true],
    ])
    expect(sums[1]).toMatchObject({
      MetricDescription: 'Requests served',
      MetricUnit: '{request}',
      Attributes: { route: '/items' },
      ScopeName: 'inventory-meter',
      ScopeVersion: '0.9.0',
      ServiceName: service,
      Flags: 0,
    })
    expect(sums[1]!.ResourceAttributes).toMatchObject({ 'service.name': service, 'service.version': '3.1.0' })
    expect(BigInt(sums[1]!.time as string)).toBeGreaterThanOrEqual(BigInt(sums[1]!.start as string))
    expect(BigInt(sums[1]!.start as string)).toBeGreaterThan(1_700_000_000_000_000_000n)

    const [gauge] = await rowsOf('otel_metrics_gauge', service)
    expect(gauge).toMatchObject({ MetricName: 'temperature', MetricUnit: 'Cel', Value: 42.5, Attributes: { room: 'a' } })

    const [histogram] = await rowsOf('otel_metrics_histogram', service)
    expect(histogram).toMatchObject({
      MetricName: 'latency',
      Count: '3',
      Sum: 555,
      BucketCounts: ['1', '1', '1'],
      ExplicitBounds: [10, 100],
      Min: 5,
      Max: 500,
      AggregationTemporality: 2,
    })

    const [exp] = await rowsOf<{ PositiveBucketCounts: string[]; Scale: number }>('otel_metrics_exponential_histogram', service)
    expect(exp).toMatchObject({ MetricName: 'payload', Count: '3', Sum: 7, Min: 1, Max: 4, ZeroCount: '0', AggregationTemporality: 2 })
    expect(exp!.PositiveBucketCounts.reduce((n, c) => n + Number(c), 0)).toBe(3)
    expect(exp!.Scale).toBeLessThanOrEqual(20)
  })
})

describe('OTLP/JSON metrics', () => {
  requirePeers().it('ingests metrics.json verbatim', async () => {
    expect((await post(readFileSync(peersPath('otlp', 'examples', 'metrics.json'), 'utf8'))).status).toBe(200)
    const [sum] = await rowsOf('otel_metrics_sum', 'my.service')
    expect(sum).toMatchObject({ MetricName: 'my.counter', MetricDescription: 'I am a Counter', MetricUnit: '1', Value: 5, AggregationTemporality: 1, IsMonotonic: true, time: '1544712660300000000', Attributes: { 'my.counter.attr': 'some value' } })
    const [gauge] = await rowsOf('otel_metrics_gauge', 'my.service')
    expect(gauge).toMatchObject({ MetricName: 'my.gauge', Value: 10, start: '0' })
    const [histogram] = await rowsOf('otel_metrics_histogram', 'my.service')
    expect(histogram).toMatchObject({ Count: '2', Sum: 2, BucketCounts: ['1', '1'], ExplicitBounds: [1], Min: 0, Max: 2, AggregationTemporality: 1 })
    const [exp] = await rowsOf('otel_metrics_exponential_histogram', 'my.service')
    expect(exp).toMatchObject({ Count: '3', Sum: 10, Scale: 0, ZeroCount: '1', PositiveOffset: 1, PositiveBucketCounts: ['0', '2'], NegativeOffset: 0, NegativeBucketCounts: [], Min: 0, Max: 5 })
  })

  it('stores summaries, exemplars and flags, and rejects invalid points', async () => {
    const resource = { attributes: [{ key: 'service.name', value: { stringValue: 'shapes' } }] }
    const exemplar = { filteredAttributes: [{ key: 'user', value: { stringValue: 'u1' } }], timeUnixNano: '1714557600500000000', asInt: '17', traceId: '4BF92F3577B34DA6A3CE929D0E0E4736', spanId: '00F067AA0BA902B7' }
    const metrics = [
      { name: 'rpc.duration', summary: { dataPoints: [{ timeUnixNano: '1714557600000000000', count: '10', sum: 12.5, quantileValues: [{ quantile: 0.5, value: 1 }, { quantile: 0.99, value: 3.5 }], flags: 1 }] } },
      { name: 'queue.depth', gauge: { dataPoints: [{ timeUnixNano: '1714557600000000000', asInt: '12', exemplars: [exemplar] }, { timeUnixNano: '1714557600000000000', asDouble: 'NaN' }] } },
      { name: 'bad.hist', histogram: { aggregationTemporality: 2, dataPoints: [{ count: '1', bucketCounts: ['1'], explicitBounds: [1, 2] }] } },
      { name: '', gauge: { dataPoints: [{ asInt: '1' }] } },
    ]
    const res = await post(JSON.stringify({ resourceMetrics: [{ resource, scopeMetrics: [{ metrics }] }] }))
    expect(res.status).toBe(200)
    const body = (await res.json()) as { partialSuccess: { rejectedDataPoints: string; errorMessage: string } }
    expect(body.partialSuccess.rejectedDataPoints).toBe('2')
    expect(body.partialSuccess.errorMessage).toContain('bad.hist: histogram point with 1 bucket counts for 2 bounds')
    expect(body.partialSuccess.errorMessage).toContain('metric without a name')
    const [summary] = await rowsOf('otel_metrics_summary', 'shapes')
    expect(summary).toMatchObject({ MetricName: 'rpc.duration', Count: '10', Sum: 12.5, 'ValueAtQuantiles.Quantile': [0.5, 0.99], 'ValueAtQuantiles.Value': [1, 3.5], Flags: 1 })
    const gauges = await shared.h.storage.query(
      `SELECT toString(Value) AS Value, Exemplars.FilteredAttributes AS a, arrayMap(t -> toString(toUnixTimestamp64Nano(t)), Exemplars.TimeUnix) AS t, Exemplars.Value AS v, Exemplars.TraceId AS tr, Exemplars.SpanId AS sp
       FROM otel_metrics_gauge WHERE ServiceName = 'shapes' ORDER BY isNaN(otel_metrics_gauge.Value)`,
    )
    expect(gauges).toEqual([
      { Value: '12', a: [{ user: 'u1' }], t: ['1714557600500000000'], v: [17], tr: ['4bf92f3577b34da6a3ce929d0e0e4736'], sp: ['00f067aa0ba902b7'] },
      { Value: 'nan', a: [], t: [], v: [], tr: [], sp: [] },
    ])
    expect(await rowsOf('otel_metrics_histogram', 'shapes')).toEqual([])
  })
})
