import { Hono } from 'hono'
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from '@opentelemetry/sdk-trace-base'
import { SpanKind, SpanStatusCode } from '@opentelemetry/api'
import { afterEach, describe, expect, it } from 'vitest'
import { requestTracing } from '../../api/index.ts'
import { traceServerRequest } from '../../instrumentation/index.ts'

// The spans the SLOs in slos/ select on, from the real SDK: name, kind, route,
// status code, component, and which answers are errors.

const exporter = new InMemorySpanExporter()
const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] })
const tracer = provider.getTracer('test')
afterEach(() => exporter.reset())

const summary = (s: ReadableSpan) => ({
  name: s.name,
  kind: s.kind,
  route: s.attributes['http.route'],
  status: s.attributes['http.response.status_code'],
  component: s.attributes['cairn.component'],
  error: s.status.code === SpanStatusCode.ERROR,
})

describe('API request spans', () => {
  const app = new Hono()
  app.use(requestTracing(tracer))
  app.use('/api/v1/*', async (c, next) => (c.req.header('authorization') === 'no' ? c.json({}, 401) : next()))
  app.get('/api/v1/slos/:id', (c) => c.json({ id: c.req.param('id') }))
  app.get('/api/v1/boom', () => {
    throw new Error('boom')
  })
  app.onError((_err, c) => c.json({ error: 'internal' }, 500))

  it('names a span by method and route template, kind Server, and marks only 5xx as errors', async () => {
    expect((await app.request('/api/v1/slos/checkout-latency')).status).toBe(200)
    expect((await app.request('/api/v1/boom')).status).toBe(500)
    expect((await app.request('/api/v1/nothing-here')).status).toBe(404)
    expect((await app.request('/api/v1/slos/x', { headers: { authorization: 'no' } })).status).toBe(401)
    expect(exporter.getFinishedSpans().map(summary)).toEqual([
      { name: 'GET /api/v1/slos/:id', kind: SpanKind.SERVER, route: '/api/v1/slos/:id', status: 200, component: 'api', error: false },
      { name: 'GET /api/v1/boom', kind: SpanKind.SERVER, route: '/api/v1/boom', status: 500, component: 'api', error: true },
      // No route answered: no http.route, so the API SLOs (which select on it) leave them out.
      { name: 'GET', kind: SpanKind.SERVER, route: undefined, status: 404, component: 'api', error: false },
      { name: 'GET', kind: SpanKind.SERVER, route: undefined, status: 401, component: 'api', error: false },
    ])
    expect(exporter.getFinishedSpans()[1]!.attributes['error.type']).toBe('500')
  })

  it('continues the caller’s trace from traceparent', async () => {
    await app.request('/api/v1/slos/a', { headers: { traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01' } })
    const [span] = exporter.getFinishedSpans()
    expect(span!.spanContext().traceId).toBe('4bf92f3577b34da6a3ce929d0e0e4736')
    expect(span!.parentSpanContext?.spanId).toBe('00f067aa0ba902b7')
  })
})

describe('collector request spans', () => {
  const answer = (status: number) =>
    traceServerRequest(tracer, 'collector', { method: 'POST', path: '/v1/traces', header: () => undefined }, async () => undefined, () => ({ status, route: '/v1/traces' }))

  it('marks 429 (queue full) and 5xx as errors, and a sender’s 4xx not', async () => {
    for (const status of [200, 400, 401, 413, 415, 429, 503, 500]) await answer(status)
    const errors = exporter.getFinishedSpans().map((s) => [s.attributes['http.response.status_code'], s.status.code === SpanStatusCode.ERROR])
    expect(errors).toEqual([
      [200, false],
      [400, false],
      [401, false],
      [413, false],
      [415, false],
      [429, true],
      [503, true],
      [500, true],
    ])
  })

  it('records a thrown error on the span and passes it on', async () => {
    const failing = traceServerRequest(tracer, 'collector', { method: 'POST', path: '/v1/logs', header: () => undefined }, async () => {
      throw new TypeError('broken')
    }, () => ({ status: 200 }))
    await expect(failing).rejects.toThrow('broken')
    const [span] = exporter.getFinishedSpans()
    expect(span!.status.code).toBe(SpanStatusCode.ERROR)
    expect(span!.attributes['error.type']).toBe('TypeError')
    expect(span!.events.map((e) => e.name)).toEqual(['exception'])
  })
})
