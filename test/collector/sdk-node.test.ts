// One NodeSDK (@opentelemetry/sdk-node) with the OTLP/HTTP exporters of all
// three signals, as a service would configure it; shutdown flushes everything.
import { expect, it } from 'vitest'
import { metrics, trace } from '@opentelemetry/api'
import { logs } from '@opentelemetry/api-logs'
import { NodeSDK } from '@opentelemetry/sdk-node'
import { resourceFromAttributes } from '@opentelemetry/resources'
import { PeriodicExportingMetricReader } from '@opentelemetry/sdk-metrics'
import { SimpleLogRecordProcessor } from '@opentelemetry/sdk-logs'
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto'
import { OTLPMetricExporter } from '@opentelemetry/exporter-metrics-otlp-http'
import { OTLPLogExporter } from '@opentelemetry/exporter-logs-otlp-proto'
import { sharedCollector } from './harness.ts'

const shared = sharedCollector()

it('stores the traces, metrics and logs of a NodeSDK', async () => {
  const sdk = new NodeSDK({
    resource: resourceFromAttributes({ 'service.name': 'node-sdk-svc' }),
    traceExporter: new OTLPTraceExporter({ url: `${shared.c.url}/v1/traces` }),
    metricReaders: [new PeriodicExportingMetricReader({ exporter: new OTLPMetricExporter({ url: `${shared.c.url}/v1/metrics` }), exportIntervalMillis: 3_600_000 })],
    logRecordProcessors: [new SimpleLogRecordProcessor({ exporter: new OTLPLogExporter({ url: `${shared.c.url}/v1/logs` }) })],
    instrumentations: [],
  })
  sdk.start()
  try {
    trace.getTracer('svc').startActiveSpan('checkout', (span) => {
      logs.getLogger('svc').emit({ severityText: 'INFO', body: 'inside checkout' })
      span.end()
    })
    metrics.getMeter('svc').createCounter('checkouts').add(2)
  } finally {
    await sdk.shutdown() // flushes every signal
  }
  const [span] = await shared.h.storage.query<{ TraceId: string; SpanId: string }>("SELECT TraceId, SpanId FROM otel_traces WHERE ServiceName = 'node-sdk-svc'")
  expect(span!.TraceId).toMatch(/^[0-9a-f]{32}$/)
  // The log record carries the active span's context.
  expect(await shared.h.storage.query("SELECT Body, TraceId, SpanId FROM otel_logs WHERE ServiceName = 'node-sdk-svc'")).toEqual([{ Body: 'inside checkout', TraceId: span!.TraceId, SpanId: span!.SpanId }])
  expect(await shared.h.storage.query("SELECT MetricName, Value, IsMonotonic FROM otel_metrics_sum WHERE ServiceName = 'node-sdk-svc'")).toEqual([{ MetricName: 'checkouts', Value: 2, IsMonotonic: true }])
})
