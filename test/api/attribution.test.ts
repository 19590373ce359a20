import { describe, expect, it } from 'vitest'
import { configSchema } from '../../config/index.ts'
import { createLogger } from '../../instrumentation/index.ts'
import { attributionFixture, dimensionOf as dim } from '../support/attribution-fixture.ts'
import { countRange } from '../../slo-engine/rollup/compute.ts'
import { rangeSelection } from '../../slo-engine/sli/queries.ts'
import { burnExplainer, type SloEvaluation } from '../../slo-engine/index.ts'
import { createAlerter } from '../../alerts/index.ts'
import { createMetricsRegistry } from '../../instrumentation/index.ts'
import { startHttpRecorder } from '../support/http-recorder.ts'

// GET /api/v1/slos/{id}/attribution over the embedded engine, on telemetry
// whose errors sit on known attribute values. Shares are hand-computed below.

const SPEC = `apiVersion: cairn/v1
kind: SLO
metadata: { name: availability, service: checkout }
spec:
  objective: 99
  window: 30d
  attribution: [cloud.region]
  sli: { spans: { service: checkout, spanName: { re: "(GET|POST) /.*" }, spanKind: Server, bad: error } }
---
apiVersion: cairn/v1
kind: SLO
metadata: { name: latency, service: checkout }
spec:
  objective: 99
  window: 30d
  sli: { spans: { service: checkout, spanKind: Server, bad: { latency: { threshold: 500ms } } } }
---
apiVersion: cairn/v1
kind: SLO
metadata: { name: log-errors, service: checkout }
spec:
  objective: 95
  window: 30d
  sli: { logs: { service: checkout, attributes: { component: { neq: noise } }, bad: { severity: error } } }
---
apiVersion: cairn/v1
kind: SLO
metadata: { name: requests, service: checkout }
spec:
  objective: 99
  window: 30d
  sli: { metrics: { total: { metric: http_requests_total }, bad: { metric: http_errors_total } } }
`

const NOW = Date.now()
const FROM = NOW - 30 * 60_000
const chTime = (ms: number) => new Date(ms).toISOString().replace('T', ' ').replace('Z', '')
const hex = (n: number, width: number) => n.toString(16).padStart(width, '0')

/**
 * 1000 Server spans of checkout in the range, each of its own trace, spread
 * over 4 pods alike (every group below is a multiple of 4, its errors too):
 *   /cart on 1.4.1: 400 spans,  4 errors      /pay on 1.4.1: 200 spans,  4 errors
 *   /cart on 1.4.2: 200 spans,  0 errors      /pay on 1.4.2: 200 spans, 72 errors
 * N = 1000, B = 80.
 *   http.route      /pay: bad 76, total 400 → share 0.95, traffic 0.4, gap 0.55
 *   service.version 1.4.2: bad 72, total 400 → share 0.9, traffic 0.4, gap 0.5
 *   k8s.pod.name    each: bad 20, total 250 → share 0.25 = traffic: gap 0
 *   request.id      unique per span: gap 1/80 - 1/1000
 * Besides: errors that are not the SLO's (another service, a Client span, a
 * span name the regex refuses, spans outside the range).
 */
const GROUPS = [
  { route: '/cart', version: '1.4.1', spans: 400, errors: 4 },
  { route: '/pay', version: '1.4.1', spans: 200, errors: 4 },
  { route: '/cart', version: '1.4.2', spans: 200, errors: 0 },
  { route: '/pay', version: '1.4.2', spans: 200, errors: 72 },
]
const failingTraces = new Map<string, string>() // trace id → route/version
let n = 0

function span(o: { route: string; version: string; pod: number; error: boolean; service?: string; kind?: string; name?: string; atMs?: number; durationMs?: number }) {
  const i = n++
  const traceId = hex(i + 1, 32)
  if (o.error && !o.service && !o.kind && !o.name && !o.atMs) failingTraces.set(traceId, `${o.route} ${o.version}`)
  return {
    Timestamp: chTime(o.atMs ?? FROM + 60_000 + (i % 1000) * 1000),
    TraceId: traceId,
    SpanId: hex(i + 1, 16),
    SpanName: o.name ?? `POST ${o.route}`,
    SpanKind: o.kind ?? 'Server',
    ServiceName: o.service ?? 'checkout',
    Duration: (o.durationMs ?? 100) * 1_000_000,
    StatusCode: o.error ? 'Error' : 'Ok',
    SpanAttributes: { 'http.route': o.route, 'request.id': `r${i}` },
    ResourceAttributes: { 'service.name': o.service ?? 'checkout', 'service.version': o.version, 'k8s.pod.name': `pod-${o.pod}`, 'cloud.region': 'eu-west-1' },
  }
}

function spans() {
  const rows: object[] = []
  for (const g of GROUPS) {
    for (let k = 0; k < g.spans; k++) rows.push(span({ route: g.route, version: g.version, pod: k % 4, error: k < g.errors, durationMs: g.route === '/cart' && k < 10 ? 900 : 100 }))
  }
  // Errors that are not the SLO's: they must not count anywhere.
  for (let k = 0; k < 50; k++) {
    rows.push(span({ route: '/cart', version: '1.4.1', pod: 0, error: true, service: 'payments' }))
    rows.push(span({ route: '/cart', version: '1.4.1', pod: 0, error: true, kind: 'Client' }))
    rows.push(span({ route: '/cart', version: '1.4.1', pod: 0, error: true, name: 'healthcheck' }))
    rows.push(span({ route: '/cart', version: '1.4.1', pod: 0, error: true, atMs: NOW - 2 * 3_600_000 }))
  }
  return rows
}

/**
 * Logs of checkout: tenant acme 30 records (15 at ERROR), globex 70 (5 at
 * ERROR), and 40 ERROR records of component=noise the SLO excludes.
 *   N = 100, B = 20; acme: share 0.75, traffic 0.3, gap 0.45.
 */
function logs() {
  const rows: object[] = []
  const add = (tenant: string, count: number, errors: number, component = 'api') => {
    for (let k = 0; k < count; k++) {
      const i = n++
      rows.push({
        Timestamp: chTime(FROM + 60_000 + k * 1000),
        ServiceName: 'checkout',
        SeverityText: k < errors ? 'ERROR' : 'INFO',
        SeverityNumber: k < errors ? 17 : 9,
        Body: `${tenant} record ${k}`,
        TraceId: hex(i + 1, 32),
        SpanId: hex(i + 1, 16),
        LogAttributes: { tenant, component },
        ResourceAttributes: { 'service.name': 'checkout' },
      })
    }
  }
  add('acme', 30, 15)
  add('globex', 70, 5)
  add('acme', 40, 40, 'noise')
  return rows
}

const fx = attributionFixture({ 'checkout.yaml': SPEC }, async (storage) => {
  await storage.insertRows('otel_traces', spans())
  await storage.insertRows('otel_logs', logs())
})
const get = fx.get
const range = `from=${Math.floor(FROM / 1000)}&to=${Math.floor(NOW / 1000) + 1}`

describe('span SLI attribution', () => {
  it('ranks the concentrating attributes first with exact shares, and does not blame a uniform one', async () => {
    const { status, body } = await get(`/api/v1/slos/checkout-availability/attribution?${range}`)
    expect(status).toBe(200)
    expect(body).toMatchObject({ sloId: 'checkout-availability', sliKind: 'spans', total: 1000, bad: 80, errorRatio: 0.08 })
    expect(body.allowedErrorRatio).toBeCloseTo(0.01, 12)
    const keys = body.dimensions.map((d: any) => d.key)
    expect(keys.slice(0, 2)).toEqual(['http.route', 'service.version'])
    // The uniform pod attribute and the per-request id are not reported; the spec's key is, with no concentration.
    expect(keys).not.toContain('k8s.pod.name')
    expect(keys).not.toContain('request.id')
    expect(dim(body, 'cloud.region')).toMatchObject({ source: 'spec', concentration: 0, values: [{ value: 'eu-west-1', bad: 80, total: 1000, budgetShare: 1 }] })

    const route = dim(body, 'http.route')
    expect(route.source).toBe('discovered')
    expect(route.concentration).toBeCloseTo(0.55, 12)
    expect(route.values.map((v: any) => [v.value, v.bad, v.total])).toEqual([['/pay', 76, 400], ['/cart', 4, 600]])
    expect(route.values[0].budgetShare).toBeCloseTo(0.95, 12)
    expect(route.values[0].trafficShare).toBeCloseTo(0.4, 12)
    expect(route.values[0].errorRatio).toBeCloseTo(0.19, 12)
    expect(route.values[1].budgetShare).toBeCloseTo(0.05, 12)

    const version = dim(body, 'service.version')
    expect(version.concentration).toBeCloseTo(0.5, 12)
    expect(version.values[0]).toMatchObject({ value: '1.4.2', bad: 72, total: 400 })
    expect(version.values[0].budgetShare).toBeCloseTo(0.9, 12)
  })

  it('gives example traces that are failing spans of that SLO with that value', async () => {
    const { body } = await get(`/api/v1/slos/checkout-availability/attribution?${range}`)
    const pay = dim(body, 'http.route').values[0]
    expect(pay.exampleTraceIds).toHaveLength(5)
    for (const t of pay.exampleTraceIds) expect(failingTraces.get(t)).toMatch(/^\/pay /)
    const v142 = dim(body, 'service.version').values[0]
    for (const t of v142.exampleTraceIds) expect(failingTraces.get(t)).toBe('/pay 1.4.2')
  })

  it('reports exactly the dimensions asked for, a uniform one with concentration 0', async () => {
    const { status, body } = await get(`/api/v1/slos/checkout-availability/attribution?${range}&dimensions=k8s.pod.name,missing.key`)
    expect(status).toBe(200)
    expect(body.dimensions.map((d: any) => d.key)).toEqual(['k8s.pod.name', 'missing.key'])
    const pods = dim(body, 'k8s.pod.name')
    expect(pods).toMatchObject({ source: 'query', concentration: 0 })
    expect(pods.values.map((v: any) => [v.value, v.bad, v.total, v.budgetShare])).toEqual([0, 1, 2, 3].map((p) => [`pod-${p}`, 20, 250, 0.25]))
    expect(dim(body, 'missing.key').values).toEqual([expect.objectContaining({ value: null, bad: 80, total: 1000, budgetShare: 1 })])
  })

  it('uses the latency threshold of a latency SLI', async () => {
    // Slow: the first 10 spans of each /cart group (900 ms > 500 ms), 20 in all, among the 1000 Server spans
    // and the 50 healthcheck ones this SLO does not exclude (the Client and other-service ones it does).
    const { body } = await get(`/api/v1/slos/checkout-latency/attribution?${range}&dimensions=http.route`)
    expect(body).toMatchObject({ total: 1000 + 50, bad: 20 })
    expect(dim(body, 'http.route').values).toEqual([expect.objectContaining({ value: '/cart', bad: 20, budgetShare: 1 })])
  })
})

describe('log SLI attribution', () => {
  it('ranks the tenant that holds the errors, with example records', async () => {
    const { status, body } = await get(`/api/v1/slos/checkout-log-errors/attribution?${range}`)
    expect(status).toBe(200)
    expect(body).toMatchObject({ sliKind: 'logs', total: 100, bad: 20 })
    const tenant = dim(body, 'tenant')
    expect(body.dimensions[0].key).toBe('tenant')
    expect(tenant.concentration).toBeCloseTo(0.45, 12)
    expect(tenant.values.map((v: any) => [v.value, v.bad, v.total])).toEqual([['acme', 15, 30], ['globex', 5, 70]])
    expect(tenant.values[0].budgetShare).toBeCloseTo(0.75, 12)
    const examples = tenant.values[0].exampleLogs
    expect(examples).toHaveLength(5)
    for (const e of examples) expect(e.body).toMatch(/^acme record (\d|1[0-4])$/)
    expect(tenant.values[0].exampleTraceIds).toEqual(examples.map((e: any) => e.traceId))
  })
})

describe('the SLI predicate is the engine\'s', () => {
  it.each(['checkout-availability', 'checkout-latency', 'checkout-log-errors'])('%s: bad and total equal the rollup\'s counts over the same range', async (id) => {
    const fromSeconds = Math.floor(FROM / 60_000) * 60
    const toSeconds = Math.ceil(NOW / 60_000) * 60 + 60
    const { counts } = await countRange(fx.storage, [(await fx.catalog.get(id))!], rangeSelection({ fromSeconds, toSeconds }))
    const minutes = [...(counts.get(id)?.values() ?? [])]
    const total = minutes.reduce((n, m) => n + m.total, 0)
    const good = minutes.reduce((n, m) => n + m.good, 0)
    const { body } = await get(`/api/v1/slos/${id}/attribution?from=${fromSeconds}&to=${toSeconds}&dimensions=cloud.region`)
    expect(total).toBeGreaterThan(0)
    expect({ total: body.total, bad: body.bad }).toEqual({ total, bad: total - good })
  })
})

describe('the attribution line of a page', () => {
  const burning = { '5m': 20, '30m': 18, '1h': 16, '2h': 9, '6h': 7, '1d': 2, '3d': 0.5 }
  const evaluation = (sloId: string, at: number): SloEvaluation => ({ sloId, evaluatedAtMs: at, status: 'ok', objectiveRatio: 0.99, sli: 0.92, eventsTotal: 1000, eventsBad: 80, budgetTotal: 10, budgetConsumed: 80, budgetRemainingRatio: -7, burnRates: burning })

  async function page(explain: (slo: any, at: number) => Promise<string | undefined>) {
    const hook = await startHttpRecorder()
    try {
      const config = configSchema.parse({ alerts: { webhookUrl: `${hook.url}/hook` } })
      const alerter = createAlerter({ config: config.alerts, storage: fx.storage, logger: createLogger('silent'), registry: createMetricsRegistry(), explain })
      const slo = (await fx.catalog.get('checkout-availability'))!
      const started = performance.now()
      await alerter.onEvaluated(slo, evaluation(slo.id, NOW))
      const evaluatedMs = performance.now() - started
      await alerter.flush()
      await alerter.stop()
      return { evaluatedMs, notices: hook.requests.map((r) => r.body as any) }
    } finally {
      await hook.close()
    }
  }

  it('names the values and a failing trace in the page', async () => {
    // As cli/service.ts wires it on the embedded store (no session settings: see there).
    const { notices } = await page(burnExplainer((sql, params) => fx.storage.query(sql, params)))
    expect(notices).toHaveLength(1)
    expect(notices[0]).toMatchObject({ status: 'firing', alert: { severity: 'page' } })
    const line: string = notices[0].alert.annotations.attribution
    // /pay holds 76 of the 80 bad spans, version 1.4.2 72 of them; the pods (uniform) and the region (one value) are no lead.
    expect(line).toMatch(/^95 % of the burn: http\.route=\/pay; also service\.version=1\.4\.2 \(90 %\) — example trace ([0-9a-f]{32})$/)
    expect(failingTraces.get(line.slice(-32))).toMatch(/^\/pay /)
  })

  it('does not hold the evaluation, and sends the page without the line when it is slow or fails', async () => {
    const slow = await page(() => new Promise(() => {})) // never answers: the page goes after the wait
    expect(slow.evaluatedMs).toBeLessThan(1000)
    expect(slow.notices).toHaveLength(1)
    expect(slow.notices[0].alert.annotations.attribution).toBeUndefined()
    const failing = await page(async () => { throw new Error('storage down') })
    expect(failing.notices).toHaveLength(1)
    expect(failing.notices[0].alert.annotations.attribution).toBeUndefined()
  }, 20_000)
})

describe('parameter errors', () => {
  it.each([
    ['from=yesterday', 'from'],
    [`from=${Math.floor(NOW / 1000) - 30 * 86_400}`, 'from'],
    [`${range}&dimensions=a,,b`, 'dimensions'],
    [`${range}&dimensions=${Array.from({ length: 21 }, (_, i) => `k${i}`).join(',')}`, 'dimensions'],
  ])('%s → 400 naming %s', async (query, param) => {
    const { status, body } = await get(`/api/v1/slos/checkout-availability/attribution?${query}`)
    expect(status).toBe(400)
    expect(body.error.message).toContain(param)
  })

  it('answers 404 for an unknown SLO; a metrics SLI without series is an empty answer (test/api/attribution-metrics.test.ts has its figures)', async () => {
    expect((await get(`/api/v1/slos/nope/attribution?${range}`)).status).toBe(404)
    const metrics = await get(`/api/v1/slos/checkout-requests/attribution?${range}`)
    expect(metrics.status).toBe(200)
    expect(metrics.body).toMatchObject({ sliKind: 'metrics', total: 0, bad: 0, dimensions: [] })
  })
})
