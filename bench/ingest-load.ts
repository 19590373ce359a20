// The sender for bench/ingest: builds OTLP protobuf requests with the
// OpenTelemetry SDK's own serializers, then POSTs them to the collector with a
// fixed number in flight and reports items per second. Runs in its own process
// so that its CPU and memory are not the collector's.
// remote_write bodies are built by hand (Prometheus has no serializer for Node).
// Usage: ingest-load.ts <url> <traces|logs|metrics|remote_write> <requests> <concurrency> [spans or log records per request, default 512]
import { ROOT_CONTEXT, SpanKind } from '@opentelemetry/api'
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base'
import { InMemoryLogRecordExporter, LoggerProvider, SimpleLogRecordProcessor } from '@opentelemetry/sdk-logs'
import { MeterProvider, MetricReader } from '@opentelemetry/sdk-metrics'
import { resourceFromAttributes } from '@opentelemetry/resources'
import { ProtobufLogsSerializer, ProtobufMetricsSerializer, ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer'
import { compressSync } from 'snappy'

const [url, signal, requestsArg, concurrencyArg, itemsArg] = process.argv.slice(2) as [string, 'traces' | 'logs' | 'metrics' | 'remote_write', string, string, string | undefined]
const requests = Number(requestsArg)
const concurrency = Number(concurrencyArg)
const perRequest = Number(itemsArg ?? 512)
const VARIANTS = 8

const resource = resourceFromAttributes({
  'service.name': 'checkout',
  'service.version': '1.24.3',
  'service.instance.id': 'checkout-7d9f8b-x2k4p',
  'deployment.environment': 'production',
  'host.name': 'ip-10-0-12-34',
  'k8s.namespace.name': 'shop',
  'k8s.pod.name': 'checkout-7d9f8b-x2k4p',
  'telemetry.sdk.language': 'nodejs',
})

function traceBodies(): { bodies: Uint8Array[]; items: number } {
  const exporter = new InMemorySpanExporter()
  const provider = new BasicTracerProvider({ resource, spanProcessors: [new SimpleSpanProcessor(exporter)] })
  const tracer = provider.getTracer('@opentelemetry/instrumentation-http', '0.57.0')
  const bodies: Uint8Array[] = []
  for (let v = 0; v < VARIANTS; v++) {
    exporter.reset()
    for (let i = 0; i < perRequest; i++) {
      const span = tracer.startSpan(`GET /api/items/{id}`, {
        kind: SpanKind.SERVER,
        attributes: {
          'http.request.method': 'GET',
          'http.route': '/api/items/{id}',
          'http.response.status_code': i % 50 === 0 ? 503 : 200,
          'url.path': `/api/items/${v * perRequest + i}`,
          'server.address': 'checkout.shop.svc',
          'client.address': `10.0.${v}.${i % 250}`,
          'user_agent.original': 'Mozilla/5.0 (X11; Linux x86_64)',
          'network.protocol.version': '1.1',
        },
      }, ROOT_CONTEXT)
      span.end()
    }
    bodies.push(ProtobufTraceSerializer.serializeRequest(exporter.getFinishedSpans())!)
  }
  return { bodies, items: perRequest }
}

async function logBodies(): Promise<{ bodies: Uint8Array[]; items: number }> {
  const exporter = new InMemoryLogRecordExporter()
  const provider = new LoggerProvider({ resource, processors: [new SimpleLogRecordProcessor({ exporter })] })
  const logger = provider.getLogger('checkout-logger', '1.0.0')
  const bodies: Uint8Array[] = []
  for (let v = 0; v < VARIANTS; v++) {
    exporter.reset()
    for (let i = 0; i < perRequest; i++) {
      logger.emit({
        severityNumber: 9,
        severityText: 'INFO',
        body: `order ${v * perRequest + i} placed: 3 items, total 42.50 EUR, payment authorized by provider acme`,
        attributes: { 'order.id': `o-${v}-${i}`, 'customer.tier': 'gold', 'http.route': '/api/orders', 'code.function': 'placeOrder' },
      })
    }
    await provider.forceFlush()
    bodies.push(ProtobufLogsSerializer.serializeRequest(exporter.getFinishedLogRecords())!)
  }
  return { bodies, items: perRequest }
}

class CollectingReader extends MetricReader {
  protected async onForceFlush(): Promise<void> {}
  protected async onShutdown(): Promise<void> {}
}

async function metricBodies(): Promise<{ bodies: Uint8Array[]; items: number }> {
  const reader = new CollectingReader()
  const provider = new MeterProvider({ resource, readers: [reader] })
  const meter = provider.getMeter('checkout-meter', '1.0.0')
  const requestsCounter = meter.createCounter('http.server.requests')
  const active = meter.createUpDownCounter('http.server.active_requests')
  const duration = meter.createHistogram('http.server.request.duration', { unit: 's' })
  const bodies: Uint8Array[] = []
  let items = 0
  for (let v = 0; v < VARIANTS; v++) {
    // 256 series of each instrument: 768 points per request, a quarter of them histograms.
    for (let i = 0; i < 256; i++) {
      const attrs = { 'http.route': `/api/r${i % 64}`, 'http.response.status_code': 200 + (i % 4), 'server.port': 8080 }
      requestsCounter.add(1 + v, attrs)
      active.add(1, attrs)
      duration.record(0.01 * (i % 40), attrs)
    }
    const { resourceMetrics } = await reader.collect()
    items = resourceMetrics.scopeMetrics.flatMap((s) => s.metrics).reduce((n, m) => n + m.dataPoints.length, 0)
    bodies.push(ProtobufMetricsSerializer.serializeRequest(resourceMetrics)!)
  }
  return { bodies, items }
}

// A WriteRequest as Prometheus sends it: up to 2000 samples (max_samples_per_send),
// one per series, labels sorted, metadata apart (so types come from the names).
function remoteWriteBodies(): { bodies: Uint8Array[]; items: number } {
  const varint = (n: number): number[] => {
    const out: number[] = []
    for (; n >= 0x80; n = Math.floor(n / 128)) out.push((n % 128) | 0x80)
    return [...out, n]
  }
  const field = (num: number, bytes: Buffer) => Buffer.concat([Buffer.from([(num << 3) | 2, ...varint(bytes.length)]), bytes])
  const label = (name: string, value: string) => field(1, Buffer.concat([field(1, Buffer.from(name)), field(2, Buffer.from(value))]))
  const sample = (value: number, ms: number) => {
    const v = Buffer.alloc(8)
    v.writeDoubleLE(value)
    return field(2, Buffer.concat([Buffer.from([0x09]), v, Buffer.from([0x10, ...varint(ms)])]))
  }
  const bodies: Uint8Array[] = []
  const series = 2000
  for (let v = 0; v < VARIANTS; v++) {
    const ms = Date.now() - 60_000 + v * 15_000
    const parts: Buffer[] = []
    for (let i = 0; i < series; i++) {
      const pod = `checkout-7d9f8b-${i % 20}`
      const labels: [string, string][] =
        i % 2 === 0
          ? [['__name__', 'http_requests_total'], ['code', String(200 + (i % 4))], ['instance', `${pod}:8080`], ['job', 'checkout'], ['method', 'GET'], ['route', `/api/r${i % 64}`]]
          : i % 4 === 1
            ? [['__name__', 'http_request_duration_seconds_bucket'], ['instance', `${pod}:8080`], ['job', 'checkout'], ['le', String(0.005 * 2 ** (i % 12))], ['route', `/api/r${i % 64}`]]
            : [['__name__', 'process_resident_memory_bytes'], ['instance', `${pod}:8080`], ['job', 'checkout'], ['shard', String(i)]]
      parts.push(field(1, Buffer.concat([...labels.map(([n, val]) => label(n, val)), sample(i * 1.5 + v, ms)])))
    }
    bodies.push(compressSync(Buffer.concat(parts)))
  }
  return { bodies, items: series }
}

const { bodies, items } =
  signal === 'traces' ? traceBodies() : signal === 'logs' ? await logBodies() : signal === 'metrics' ? await metricBodies() : remoteWriteBodies()
const path = signal === 'remote_write' ? `${url}/api/v1/write` : `${url}/v1/${signal}`
const headers: Record<string, string> =
  signal === 'remote_write' ? { 'content-type': 'application/x-protobuf', 'content-encoding': 'snappy', 'x-prometheus-remote-write-version': '0.1.0' } : { 'content-type': 'application/x-protobuf' }
const okStatus = signal === 'remote_write' ? 204 : 200
let sent = 0
let failed = 0
async function worker(): Promise<void> {
  while (sent < requests) {
    const body = bodies[sent++ % bodies.length]!
    const res = await fetch(path, { method: 'POST', headers, body })
    await res.arrayBuffer()
    if (res.status !== okStatus) failed++
  }
}
const startedAtMs = Date.now()
const started = performance.now()
await Promise.all(Array.from({ length: concurrency }, worker))
const seconds = (performance.now() - started) / 1000
process.stdout.write(JSON.stringify({ items: requests * items, seconds, startedAtMs, failed, bodyBytes: bodies[0]!.length, itemsPerRequest: items }) + '\n')
