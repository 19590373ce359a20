import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { configSchema } from '../../config/index.ts'
import type { Storage } from '../../storage/index.ts'
import { createApi, createAuthorizer } from '../../api/index.ts'
import { createSloCatalog } from '../../slo-engine/index.ts'
import { createLogger } from '../../instrumentation/index.ts'
import { openMigratedStorage } from '../support/storage.ts'
import { tempDir } from '../support/temp.ts'

// GET /api/v1/traces/{traceId} and GET /api/v1/logs over the embedded engine.

const dir = tempDir()
const config = configSchema.parse({ storage: { dataDir: dir.path } })
let storage: Storage
let api: ReturnType<typeof createApi>

const TRACE = 'ABCDEF0123456789abcdef0123456789'
const NOW = Date.now()
const nsAt = (ms: number, extraNs = 0) => (BigInt(ms) * 1_000_000n + BigInt(extraNs)).toString()
const chTime = (ms: number, extraNs = 0) => `${new Date(ms).toISOString().slice(0, 19).replace('T', ' ')}.${(ms % 1000).toString().padStart(3, '0')}${extraNs.toString().padStart(6, '0')}`

beforeAll(async () => {
  storage = await openMigratedStorage(config)
  api = createApi({ storage, logger: createLogger('silent'), auth: createAuthorizer([]), catalog: createSloCatalog({ storage, sloDir: undefined, logger: createLogger('silent') }) })
  const trace = TRACE.toLowerCase()
  await storage.insertRows('otel_traces', [
    {
      Timestamp: chTime(NOW - 5000, 123), TraceId: trace, SpanId: '00000000000000a1', ParentSpanId: '', SpanName: 'POST /pay', SpanKind: 'Server',
      ServiceName: 'checkout', Duration: 250_000_000, StatusCode: 'Error', StatusMessage: 'card declined', SpanAttributes: { 'http.route': '/pay' },
      ResourceAttributes: { 'service.name': 'checkout' }, ScopeName: 'io.opentelemetry.http', ScopeVersion: '1.2.3',
      'Events.Timestamp': [chTime(NOW - 4900)], 'Events.Name': ['exception'], 'Events.Attributes': [{ 'exception.type': 'CardError' }],
      'Links.TraceId': ['11111111111111111111111111111111'], 'Links.SpanId': ['2222222222222222'], 'Links.TraceState': [''], 'Links.Attributes': [{}],
    },
    { Timestamp: chTime(NOW - 4990), TraceId: trace, SpanId: '00000000000000a2', ParentSpanId: '00000000000000a1', SpanName: 'SELECT', SpanKind: 'Client', ServiceName: 'checkout', Duration: 1_000_000, StatusCode: 'Unset' },
    { Timestamp: chTime(NOW - 4990), TraceId: 'ffffffffffffffffffffffffffffffff', SpanId: '00000000000000b1', SpanName: 'other', ServiceName: 'other', Duration: 1 },
  ])
  await storage.insertRows('otel_logs', [
    { Timestamp: chTime(NOW - 10 * 60_000), ServiceName: 'checkout', SeverityText: 'INFO', SeverityNumber: 9, Body: 'started', LogAttributes: { k: 'v' } },
    { Timestamp: chTime(NOW - 5 * 60_000, 42), ServiceName: 'checkout', SeverityText: 'ERROR', SeverityNumber: 17, Body: 'card declined', TraceId: TRACE.toLowerCase(), SpanId: '00000000000000a1' },
    { Timestamp: chTime(NOW - 4 * 60_000), ServiceName: 'payments', SeverityText: 'WARN', SeverityNumber: 13, Body: 'slow bank' },
    { Timestamp: chTime(NOW - 3 * 3_600_000), ServiceName: 'checkout', SeverityText: 'FATAL', SeverityNumber: 21, Body: 'old crash' },
  ])
})
afterAll(async () => {
  await storage?.close()
  dir.remove()
})

const get = async (path: string) => {
  const res = await api.request(path)
  return { status: res.status, body: (await res.json()) as any }
}

describe('GET /api/v1/traces/{traceId}', () => {
  it('returns every span of the trace with its fields, oldest first', async () => {
    const { status, body } = await get(`/api/v1/traces/${TRACE}`)
    expect(status).toBe(200)
    expect(body.traceId).toBe(TRACE.toLowerCase())
    expect(body.spanCount).toBe(2)
    expect(body.truncated).toBe(false)
    const [root, child] = body.spans
    expect(root).toEqual({
      traceId: TRACE.toLowerCase(), spanId: '00000000000000a1', parentSpanId: '', traceState: '', name: 'POST /pay', kind: 'Server', serviceName: 'checkout',
      startTime: `${new Date(NOW - 5000).toISOString().slice(0, 23)}000123Z`, startTimeUnixNano: nsAt(NOW - 5000, 123), durationNs: '250000000',
      status: { code: 'Error', message: 'card declined' }, attributes: { 'http.route': '/pay' }, resourceAttributes: { 'service.name': 'checkout' },
      scope: { name: 'io.opentelemetry.http', version: '1.2.3' },
      events: [{ timeUnixNano: nsAt(NOW - 4900), name: 'exception', attributes: { 'exception.type': 'CardError' } }],
      links: [{ traceId: '11111111111111111111111111111111', spanId: '2222222222222222', traceState: '', attributes: {} }],
    })
    expect(child).toMatchObject({ spanId: '00000000000000a2', parentSpanId: '00000000000000a1', kind: 'Client', durationNs: '1000000' })
  })

  it('answers 404 for a trace it does not hold and 400 for a malformed id', async () => {
    expect(await get('/api/v1/traces/0123456789abcdef0123456789abcdef')).toEqual({ status: 404, body: { error: { code: 'not_found', message: 'no spans stored for trace 0123456789abcdef0123456789abcdef' } } })
    const bad = await get('/api/v1/traces/not-a-trace')
    expect(bad.status).toBe(400)
    expect(bad.body.error).toEqual({ code: 'bad_request', message: 'path parameter traceId: expected a trace id of 32 hex digits' })
  })
})

describe('GET /api/v1/logs', () => {
  it('returns the last hour newest first by default', async () => {
    const { status, body } = await get('/api/v1/logs')
    expect(status).toBe(200)
    expect(body.limit).toBe(100)
    expect(body.logs.map((l: any) => l.body)).toEqual(['slow bank', 'card declined', 'started'])
    expect(body.logs[1]).toEqual({
      time: `${new Date(NOW - 300_000).toISOString().slice(0, 23)}000042Z`, timeUnixNano: nsAt(NOW - 300_000, 42), severityText: 'ERROR', severityNumber: 17,
      serviceName: 'checkout', body: 'card declined', traceId: TRACE.toLowerCase(), spanId: '00000000000000a1', attributes: {}, resourceAttributes: {}, scope: { name: '', version: '' },
    })
  })

  it('filters by service, severity, trace, range and limit', async () => {
    const bodies = async (q: string) => (await get(`/api/v1/logs?${q}`)).body.logs.map((l: any) => l.body)
    expect(await bodies('service=checkout')).toEqual(['card declined', 'started'])
    expect(await bodies('severity=warn')).toEqual(['slow bank', 'card declined'])
    expect(await bodies('severity=17')).toEqual(['card declined'])
    expect(await bodies(`traceId=${TRACE}`)).toEqual(['card declined'])
    expect(await bodies('from=now-4h&service=checkout')).toEqual(['card declined', 'started', 'old crash'])
    expect(await bodies(`from=${(NOW - 4 * 3_600_000) / 1000}&to=${new Date(NOW - 2 * 3_600_000).toISOString()}`)).toEqual(['old crash'])
    expect(await bodies('limit=1')).toEqual(['slow bank'])
    expect(await bodies('service=nobody')).toEqual([])
  })

  it.each([
    ['from=yesterday', 'query parameter from: expected a time: RFC 3339, Unix seconds, now, or now-<duration> (e.g. now-7d)'],
    ['to=now-5x', 'query parameter to: expected a time: RFC 3339, Unix seconds, now, or now-<duration> (e.g. now-7d)'],
    ['limit=0', 'query parameter limit: expected at least 1'],
    ['limit=5000', 'query parameter limit: expected at most 1000'],
    ['limit=ten', 'query parameter limit: expected a number'],
    ['severity=loud', 'query parameter severity: expected trace, debug, info, warn, error, fatal or a severity number 1-24'],
    ['severity=25', 'query parameter severity: expected trace, debug, info, warn, error, fatal or a severity number 1-24'],
    ['traceId=xyz', 'query parameter traceId: expected a trace id of 32 hex digits'],
    ['service=', 'query parameter service: expected a service name'],
  ])('answers 400 for %s', async (query, message) => {
    expect(await get(`/api/v1/logs?${query}`)).toEqual({ status: 400, body: { error: { code: 'bad_request', message } } })
  })

  it('answers 400 when from is not before to', async () => {
    const { status, body } = await get('/api/v1/logs?from=now&to=now-1h')
    expect(status).toBe(400)
    expect(body.error.message).toMatch(/^query parameter from \(.*\) must be before to \(.*\)$/)
  })
})

describe('unknown routes', () => {
  it('answer 404 with a JSON error', async () => {
    expect(await get('/api/v1/nothing')).toEqual({ status: 404, body: { error: { code: 'not_found', message: 'no route GET /api/v1/nothing' } } })
  })
})
