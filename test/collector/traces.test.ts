import { readFileSync } from 'node:fs'
import { gzipSync } from 'node:zlib'
import { describe, expect, it } from 'vitest'
import { ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, TraceFlags, type Attributes } from '@opentelemetry/api'
import { BasicTracerProvider, SimpleSpanProcessor, type SpanExporter } from '@opentelemetry/sdk-trace-base'
import { resourceFromAttributes } from '@opentelemetry/resources'
import { OTLPTraceExporter as JsonTraceExporter } from '@opentelemetry/exporter-trace-otlp-http'
import { OTLPTraceExporter as ProtoTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto'
import { TraceState } from '@opentelemetry/core'
import { metricValue, sharedCollector } from './harness.ts'
import { peersPath } from '../support/peers.ts'
import { requirePeers } from '../support/needs.ts'

const shared = sharedCollector()

const EXAMPLES = peersPath('otlp', 'examples')

interface SpanRow {
  ts: string
  TraceId: string
  SpanId: string
  ParentSpanId: string
  TraceState: string
  SpanName: string
  SpanKind: string
  ServiceName: string
  ResourceAttributes: Record<string, string>
  ScopeName: string
  ScopeVersion: string
  SpanAttributes: Record<string, string>
  Duration: string
  StatusCode: string
  StatusMessage: string
  eventTs: string[]
  'Events.Name': string[]
  'Events.Attributes': Record<string, string>[]
  'Links.TraceId': string[]
  'Links.SpanId': string[]
  'Links.TraceState': string[]
  'Links.Attributes': Record<string, string>[]
}

async function spansOf(service: string): Promise<SpanRow[]> {
  return shared.h.storage.query<SpanRow>(
    `SELECT * EXCEPT (Timestamp, \`Events.Timestamp\`), toString(toUnixTimestamp64Nano(Timestamp)) AS ts,
            arrayMap(t -> toString(toUnixTimestamp64Nano(t)), Events.Timestamp) AS eventTs
     FROM otel_traces WHERE ServiceName = {s:String} ORDER BY SpanName`,
    { s: service },
  )
}

// Start 2024-05-01T10:00:00.123456789Z as [seconds, nanos].
const START: [number, number] = [1714557600, 123456789]
const at = (addNs: number): [number, number] => [START[0], START[1] + addNs]
const ns = (addNs: number) => (BigInt(START[0]) * 1_000_000_000n + BigInt(START[1] + addNs)).toString()

async function sendWithSdk(exporter: SpanExporter, service: string): Promise<{ traceId: string; parentId: string; childId: string; linkedTraceId: string }> {
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': service, 'deployment.environment': 'test', 'host.cpus': 2 }),
    spanProcessors: [new SimpleSpanProcessor(exporter)],
  })
  const tracer = provider.getTracer('checkout-instrumentation', '1.4.2')
  const linkedTraceId = 'abcdef0123456789abcdef0123456789'
  const parentCtx = trace.setSpanContext(ROOT_CONTEXT, {
    traceId: '0af7651916cd43dd8448eb211c80319c',
    spanId: 'b7ad6b7169203331',
    traceFlags: TraceFlags.SAMPLED,
    traceState: new TraceState('vendor=opaque,other=1'),
    isRemote: true,
  })
  const attributes: Attributes = { 'http.route': '/cart/{id}', 'http.status_code': 503, retried: true, ratio: 0.25, big: 1e21, tiny: 1e-7, tags: ['a', 'b"'], codes: [1, 2] }
  const span = tracer.startSpan(
    'POST /cart',
    { kind: SpanKind.SERVER, attributes, startTime: at(0), links: [{ context: { traceId: linkedTraceId, spanId: '1111111111111111', traceFlags: 1 }, attributes: { 'link.kind': 'follows' } }] },
    parentCtx,
  )
  span.addEvent('exception', { 'exception.message': "can't\tconnect\n'db'" }, at(1500))
  span.setStatus({ code: SpanStatusCode.ERROR, message: 'upstream unavailable' })
  const child = tracer.startSpan('SELECT cart', { kind: SpanKind.CLIENT, startTime: at(100) }, trace.setSpan(parentCtx, span))
  child.end(at(900))
  span.end(at(2_000_000))
  await provider.forceFlush()
  await provider.shutdown()
  return { traceId: span.spanContext().traceId, parentId: span.spanContext().spanId, childId: child.spanContext().spanId, linkedTraceId }
}

describe('OTLP/HTTP traces from the OpenTelemetry SDK', () => {
  it.each([
    ['JSON', (url: string) => new JsonTraceExporter({ url })],
    ['protobuf', (url: string) => new ProtoTraceExporter({ url })],
  ])('stores every mapped field of spans sent as %s', async (encoding, makeExporter) => {
    const service = `checkout-${encoding}`
    const ids = await sendWithSdk(makeExporter(`${shared.c.url}/v1/traces`), service)
    const rows = await spansOf(service)
    expect(rows).toHaveLength(2)
    const [server, client] = rows[0]!.SpanName === 'POST /cart' ? [rows[0]!, rows[1]!] : [rows[1]!, rows[0]!]
    expect(server).toMatchObject({
      ts: ns(0),
      TraceId: '0af7651916cd43dd8448eb211c80319c',
      SpanId: ids.parentId,
      ParentSpanId: 'b7ad6b7169203331',
      TraceState: 'vendor=opaque,other=1',
      SpanName: 'POST /cart',
      SpanKind: 'Server',
      ServiceName: service,
      ScopeName: 'checkout-instrumentation',
      ScopeVersion: '1.4.2',
      Duration: '2000000',
      StatusCode: 'Error',
      StatusMessage: 'upstream unavailable',
      eventTs: [ns(1500)],
      'Events.Name': ['exception'],
      'Events.Attributes': [{ 'exception.message': "can't\tconnect\n'db'" }],
      'Links.TraceId': [ids.linkedTraceId],
      'Links.SpanId': ['1111111111111111'],
      'Links.TraceState': [''],
      'Links.Attributes': [{ 'link.kind': 'follows' }],
    })
    expect(server.ResourceAttributes).toMatchObject({ 'service.name': service, 'deployment.environment': 'test', 'host.cpus': '2' })
    expect(server.SpanAttributes).toEqual({
      'http.route': '/cart/{id}',
      'http.status_code': '503',
      retried: 'true',
      ratio: '0.25',
      big: '1e+21',
      tiny: '1e-7',
      tags: '["a","b\\""]',
      codes: '[1,2]',
    })
    expect(client).toMatchObject({ SpanId: ids.childId, ParentSpanId: ids.parentId, SpanKind: 'Client', Duration: '800', StatusCode: 'Unset', eventTs: [] })
  })
})

requirePeers().describe('OTLP/JSON example payloads', () => {
  it('ingests trace.json verbatim', async () => {
    const body = readFileSync(`${EXAMPLES}/trace.json`)
    const res = await fetch(`${shared.c.url}/v1/traces`, { method: 'POST', headers: { 'content-type': 'application/json' }, body })
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toBe('application/json')
    expect(await res.json()).toEqual({})
    const [row] = await spansOf('my.service')
    expect(row).toMatchObject({
      ts: '1544712660000000000',
      TraceId: '5b8efff798038103d269b633813fc60c',
      SpanId: 'eee19b7ec3c1b174',
      ParentSpanId: 'eee19b7ec3c1b173',
      SpanName: "I'm a server span",
      SpanKind: 'Server',
      ScopeName: 'my.library',
      ScopeVersion: '1.0.0',
      SpanAttributes: { 'my.span.attr': 'some value' },
      Duration: '1000000000',
    })
  })
})

describe('partial success and bad inputs', () => {
  const post = (body: string | Buffer, headers: Record<string, string> = { 'content-type': 'application/json' }) =>
    fetch(`${shared.c.url}/v1/traces`, { method: 'POST', headers, body })
  const span = (traceId: string, name: string) => ({ traceId, spanId: '00f067aa0ba902b7', name, startTimeUnixNano: '1714557600000000000', endTimeUnixNano: 1714557600000001024 })
  const request = (...spans: object[]) => JSON.stringify({ resourceSpans: [{ resource: { attributes: [{ key: 'service.name', value: { stringValue: 'partial' } }] }, scopeSpans: [{ spans }] }] })

  it('stores the valid spans and reports the invalid ones as rejected', async () => {
    const res = await post(request(span('4BF92F3577B34DA6A3CE929D0E0E4736', 'ok'), span('4bf92f35', 'short id'), span('', 'no id')))
    expect(res.status).toBe(200)
    const body = (await res.json()) as { partialSuccess: { rejectedSpans: string; errorMessage: string } }
    expect(body.partialSuccess.rejectedSpans).toBe('2')
    expect(body.partialSuccess.errorMessage).toContain('wrong length')
    const rows = await spansOf('partial')
    expect(rows.map((r) => [r.SpanName, r.TraceId, r.Duration])).toEqual([['ok', '4bf92f3577b34da6a3ce929d0e0e4736', '1024']])
    expect(await metricValue(shared.c.registry, 'cairn_collector_items_rejected_total', { signal: 'traces', reason: 'invalid' })).toBe(2)
  })

  it('answers each bad body with the right status, in the request encoding, and keeps serving', async () => {
    const valid = Buffer.from(request(span('4bf92f3577b34da6a3ce929d0e0e4737', 'after')))
    const cases: [string, Promise<Response>, number, RegExp][] = [
      ['truncated protobuf', post(Buffer.from([0x0a, 0x10, 0x0a]), { 'content-type': 'application/x-protobuf' }), 400, /truncated|exceeds/],
      ['wrong JSON types', post(JSON.stringify({ resourceSpans: [{ scopeSpans: [{ spans: [{ name: 42 }] }] }] })), 400, /spans\[0\]\.name: expected a string/],
      ['not JSON', post('{"resourceSpans": ['), 400, /invalid JSON/],
      ['empty JSON body', post(''), 400, /empty/],
      ['corrupt gzip', post(Buffer.from('not gzip at all'), { 'content-type': 'application/json', 'content-encoding': 'gzip' }), 400, /gzip/],
      ['wrong content type', post('x', { 'content-type': 'text/plain' }), 415, /Content-Type/],
      ['unknown encoding', post('x', { 'content-type': 'application/json', 'content-encoding': 'br' }), 415, /Content-Encoding/],
    ]
    for (const [what, pending, status, message] of cases) {
      const res = await pending
      expect(res.status, what).toBe(status)
      const text = await res.text()
      if (res.headers.get('content-type') === 'application/json') expect(JSON.parse(text).message, what).toMatch(message)
      else expect(text, what).toMatch(message)
    }
    const ok = await post(gzipSync(valid), { 'content-type': 'application/json', 'content-encoding': 'gzip' })
    expect(ok.status).toBe(200)
    expect((await spansOf('partial')).map((r) => r.SpanName)).toContain('after')
  })

  it('answers an empty protobuf body (an empty request) with 200 and an empty response', async () => {
    const res = await post(Buffer.alloc(0), { 'content-type': 'application/x-protobuf' })
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toBe('application/x-protobuf')
    expect((await res.arrayBuffer()).byteLength).toBe(0)
  })

  it('refuses bodies over the limit with 413, also after gzip expansion', async () => {
    const small = await shared.h.startCollector({ collector: { maxBodyBytes: 1024 } })
    try {
      const big = await fetch(`${small.url}/v1/traces`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: 'x'.repeat(2048) })
      expect(big.status).toBe(413)
      const bomb = gzipSync(Buffer.alloc(1_000_000, 0x20))
      expect(bomb.length).toBeLessThan(1024)
      const res = await fetch(`${small.url}/v1/traces`, { method: 'POST', headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' }, body: bomb })
      expect(res.status).toBe(413)
      expect(((await res.json()) as { message: string }).message).toContain('decompressed body exceeds the limit of 1024 bytes')
    } finally {
      await small.stop()
    }
  })

  it('answers unknown paths with 404 and other methods with 405', async () => {
    expect((await fetch(`${shared.c.url}/v1/profiles`, { method: 'POST', body: '{}' })).status).toBe(404)
    const get = await fetch(`${shared.c.url}/v1/traces`)
    expect(get.status).toBe(405)
    expect(get.headers.get('allow')).toBe('POST')
  })
})
