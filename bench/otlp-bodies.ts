// Unique OTLP bodies for the benchmarks that size cairn (footprint, collector
// CPU): random trace and span ids, traces of 6 spans across 3 services, routes,
// status codes, users and log-normal durations that vary, as in production.
import { ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, type Context } from '@opentelemetry/api'
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base'
import { resourceFromAttributes } from '@opentelemetry/resources'
import { ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer'

export const PER_REQUEST = 512
export const ROUTES = ['/api/cart', '/api/cart/{id}', '/api/checkout', '/api/items', '/api/items/{id}', '/api/orders', '/api/orders/{id}', '/api/pay', '/api/search', '/api/users/{id}']
export const SERVICES = ['frontend', 'checkout', 'payments'] as const

let seed = 42
/** Deterministic, so that two runs store the same data. */
export const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31)
export const pick = <T>(xs: readonly T[]) => xs[Math.floor(random() * xs.length)]!
/** Log-normal latency around 40 ms with a long tail, in ms. */
export const latencyMs = () => Math.exp(Math.log(40) + 0.9 * Math.sqrt(-2 * Math.log(random() + 1e-12)) * Math.cos(2 * Math.PI * random()))

export function resourceOf(service: string, pod: number) {
  return resourceFromAttributes({
    'service.name': service,
    'service.version': `1.${pod % 3}.4`,
    'service.instance.id': `${service}-6f7c9-${pod}`,
    'deployment.environment': 'production',
    'host.name': `ip-10-0-${pod}-17`,
    'k8s.namespace.name': 'shop',
    'k8s.pod.name': `${service}-6f7c9-${pod}`,
    'telemetry.sdk.language': 'nodejs',
  })
}

/** One request's worth of spans (about PER_REQUEST), traces of 6 spans: a server span per service and their client calls. */
export function spanBody(startMs: number): { body: Uint8Array; items: number } {
  const exporter = new InMemorySpanExporter()
  const providers = SERVICES.map((s) => new BasicTracerProvider({ resource: resourceOf(s, Math.floor(random() * 12)), spanProcessors: [new SimpleSpanProcessor(exporter)] }))
  const tracers = providers.map((p) => p.getTracer('@opentelemetry/instrumentation-http', '0.57.0'))
  for (let t = 0; t < PER_REQUEST / 6; t++) {
    const route = pick(ROUTES)
    const failed = random() < 0.02
    let parent: Context = ROOT_CONTEXT
    let at = startMs + random() * 1000
    for (const [i, tracer] of tracers.entries()) {
      const ms = latencyMs() / (i + 1)
      const server = tracer.startSpan(`${i === 0 ? 'GET' : 'POST'} ${route}`, {
        kind: SpanKind.SERVER,
        startTime: at,
        attributes: { 'http.request.method': i === 0 ? 'GET' : 'POST', 'http.route': route, 'http.response.status_code': failed ? 503 : 200, 'url.path': route.replace('{id}', String(Math.floor(random() * 1e6))), 'client.address': `10.1.${Math.floor(random() * 255)}.${Math.floor(random() * 255)}`, 'user.id': `u-${Math.floor(random() * 50_000)}` },
      }, parent)
      if (failed) server.setStatus({ code: SpanStatusCode.ERROR, message: 'upstream unavailable' })
      const ctx = trace.setSpan(parent, server)
      const client = tracer.startSpan(i < 2 ? `POST ${SERVICES[i + 1]}` : 'SELECT orders', { kind: SpanKind.CLIENT, startTime: at + 1, attributes: i < 2 ? { 'server.address': `${SERVICES[i + 1]}.shop.svc`, 'http.request.method': 'POST' } : { 'db.system': 'postgresql', 'db.statement': 'SELECT * FROM orders WHERE id = $1' } }, ctx)
      client.end(at + ms * 0.8)
      server.end(at + ms)
      parent = trace.setSpan(ROOT_CONTEXT, client)
      at += 1
    }
  }
  const spans = exporter.getFinishedSpans()
  return { body: ProtobufTraceSerializer.serializeRequest(spans)!, items: spans.length }
}
