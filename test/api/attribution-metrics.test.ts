import { describe, expect, it } from 'vitest'
import { countRange } from '../../slo-engine/rollup/compute.ts'
import { rangeSelection } from '../../slo-engine/sli/queries.ts'
import { attributionFixture, dimensionOf as dim } from '../support/attribution-fixture.ts'
import { formatAttribution } from '../../cli/commands/explain.ts'
import { histogramPoints, sumPoints, type HistogramPoint, type SumPoint } from '../fixtures/telemetry.ts'

// GET /api/v1/slos/{id}/attribution for counter-ratio and histogram SLIs,
// over the embedded engine, on metric series whose bad part sits on known
// label values. Shares are hand-computed below.

const slo = (name: string, sli: string, extra = '') => `apiVersion: cairn/v1
kind: SLO
metadata: { name: ${name}, service: api }
spec:
  objective: 99
  window: 30d${extra}
  sli: ${sli}
`
const SPEC = [
  slo('errors', '{ metrics: { total: { metric: http_requests_total, service: api }, bad: { metric: http_errors_total, service: api } } }'),
  slo('responses', "{ metrics: { total: { metric: http_responses_total, service: api }, good: { metric: http_responses_total, service: api, attributes: { code: { neq: '500' } } } } }"),
  slo('latency', '{ histogram: { metric: http_server_duration_seconds, service: api, threshold: 0.5 } }', '\n  attribution: [region]'),
  slo('promql', '{ promql: { errorQuery: "sum(rate(e[{{.window}}]))", totalQuery: "sum(rate(t[{{.window}}]))" } }'),
].join('---\n')

const NOW = Date.now()
const FROM = NOW - 30 * 60_000
const iso = (ms: number) => new Date(ms).toISOString()
const FIRST = iso(FROM + 60_000)
const LAST = iso(FROM + 600_000)
const PODS = ['p0', 'p1', 'p2', 'p3']

/**
 * Cumulative counters (no start time: the first point read is the base),
 * one series per route and pod, each rising by its increase between two
 * points in the range. Per pod:
 *   http_requests_total  /pay +100, /cart +150       N = 4 × 250 = 1000
 *   http_errors_total    /pay  +19, /cart   +1       B = 4 × 20  = 80
 *   route /pay: bad 76, total 400 → share 0.95, traffic 0.4, gap 0.55
 *   pod: each bad 20, total 250 → share 0.25 = traffic: gap 0
 * http_responses_total carries the same figures as code="200" / code="500" series.
 */
function counters(): object[] {
  const points: SumPoint[] = []
  const series = (metric: string, attributes: Record<string, string>, increase: number) => {
    points.push({ metric, service: 'api', attributes, at: FIRST, value: 1000 }, { metric, service: 'api', attributes, at: LAST, value: 1000 + increase })
  }
  for (const pod of PODS) {
    series('http_requests_total', { route: '/pay', pod }, 100)
    series('http_requests_total', { route: '/cart', pod }, 150)
    series('http_errors_total', { route: '/pay', pod }, 19)
    series('http_errors_total', { route: '/cart', pod }, 1)
    series('http_responses_total', { route: '/pay', pod, code: '200' }, 81)
    series('http_responses_total', { route: '/pay', pod, code: '500' }, 19)
    series('http_responses_total', { route: '/cart', pod, code: '200' }, 149)
    series('http_responses_total', { route: '/cart', pod, code: '500' }, 1)
  }
  return sumPoints(points)
}

/**
 * Delta histograms, bounds 0.1 / 0.5 / 1, threshold 0.5 (good: the first two buckets). Per pod and minute-point:
 *   /pay  [40, 40, 20, 0]: 100 observations, 20 above 0.5
 *   /cart [100, 45, 5, 0]: 150 observations,  5 above 0.5
 * N = 4 × 250 = 1000, B = 4 × 25 = 100; /pay: share 0.8, traffic 0.4, gap 0.4; every series in region eu.
 */
function histograms(): object[] {
  const points: HistogramPoint[] = []
  for (const pod of PODS) {
    points.push({ at: FIRST, service: 'api', bounds: [0.1, 0.5, 1], counts: [40, 40, 20, 0], attributes: { route: '/pay', pod, region: 'eu' } })
    points.push({ at: FIRST, service: 'api', bounds: [0.1, 0.5, 1], counts: [100, 45, 5, 0], attributes: { route: '/cart', pod, region: 'eu' } })
  }
  return histogramPoints(points)
}

const fx = attributionFixture({ 'api.yaml': SPEC }, async (storage) => {
  await storage.insertRows('otel_metrics_sum', counters())
  await storage.insertRows('otel_metrics_histogram', histograms())
}, { metrics: 0 })
const get = fx.get
const range = `from=${Math.floor(FROM / 1000)}&to=${Math.floor(NOW / 1000) + 1}`

describe('counter ratio SLIs', () => {
  it.each([
    ['api-errors', 'http_errors_total', {}],
    ['api-responses', 'http_responses_total', { code: '500' }],
  ])('%s: blames the route that holds the bad increase, with exact shares, not the uniform pods', async (id, metric, extra) => {
    const { status, body } = await get(`/api/v1/slos/${id}/attribution?${range}`)
    expect(status).toBe(200)
    expect(body).toMatchObject({ sliKind: 'metrics', total: 1000, bad: 80, errorRatio: 0.08, estimated: false })
    expect(body.dimensions[0].key).toBe('route')
    // Not the uniform pods; not the code the good selector is written on (it is the definition of bad, not a cause).
    expect(body.dimensions.map((d: any) => d.key)).toEqual(['route'])
    const route = dim(body, 'route')
    expect(route.concentration).toBeCloseTo(0.55, 12)
    expect(route.values.map((v: any) => [v.value, v.bad, v.total])).toEqual([['/pay', 76, 400], ['/cart', 4, 600]])
    expect(route.values[0].budgetShare).toBeCloseTo(0.95, 12)
    expect(route.values[0].trafficShare).toBeCloseTo(0.4, 12)
    expect(route.values[0].errorRatio).toBeCloseTo(0.19, 12)
    // Example series: series of the bad part (the bad counter; the total's code=500 series the good selector refuses) with that route.
    const examples = route.values[0].exampleSeries
    expect(examples).toHaveLength(4)
    for (const s of examples) expect(s).toMatchObject({ metric, service: 'api', attributes: { route: '/pay', ...extra } })
    expect(new Set(examples.map((s: any) => s.attributes.pod))).toEqual(new Set(PODS))
    expect(route.values[0].exampleTraceIds).toEqual([])
    // cairn explain prints the first series beside the value.
    expect(formatAttribution(body)).toMatch(new RegExp(`/pay\\s+95\\.0 % of the burn\\s+76/400 bad \\(19\\.0 %\\)\\s+e\\.g\\. series ${metric}\\{route="/pay", pod="p\\d"`))
  })

  it('reports a uniform label asked for with concentration 0 and equal shares', async () => {
    const { body } = await get(`/api/v1/slos/api-errors/attribution?${range}&dimensions=pod,missing`)
    expect(body.dimensions.map((d: any) => d.key)).toEqual(['missing', 'pod'])
    const pods = dim(body, 'pod')
    expect(pods).toMatchObject({ source: 'query', concentration: 0 })
    expect(pods.values.map((v: any) => [v.value, v.bad, v.total, v.budgetShare])).toEqual(PODS.map((p) => [p, 20, 250, 0.25]))
    expect(dim(body, 'missing').values).toEqual([expect.objectContaining({ value: null, bad: 80, total: 1000, budgetShare: 1 })])
  })
})

describe('histogram SLIs', () => {
  it('counts the observations above the threshold per label value', async () => {
    const { status, body } = await get(`/api/v1/slos/api-latency/attribution?${range}`)
    expect(status).toBe(200)
    expect(body).toMatchObject({ sliKind: 'histogram', total: 1000, bad: 100 })
    const route = dim(body, 'route')
    expect(body.dimensions[0].key).toBe('route')
    expect(route.concentration).toBeCloseTo(0.4, 12)
    expect(route.values.map((v: any) => [v.value, v.bad, v.total])).toEqual([['/pay', 80, 400], ['/cart', 20, 600]])
    expect(route.values[0].budgetShare).toBeCloseTo(0.8, 12)
    for (const s of route.values[0].exampleSeries) expect(s).toMatchObject({ metric: 'http_server_duration_seconds', attributes: { route: '/pay' } })
    // The spec's key is reported whatever its score; the uniform pods are not.
    expect(dim(body, 'region')).toMatchObject({ source: 'spec', concentration: 0, values: [expect.objectContaining({ value: 'eu', bad: 100, total: 1000, budgetShare: 1 })] })
    expect(dim(body, 'pod')).toBeUndefined()
  })
})

describe('the counts are the engine\'s', () => {
  it.each(['api-errors', 'api-responses', 'api-latency'])('%s: bad and total equal the rollup\'s counts over the same range', async (id) => {
    const fromSeconds = Math.floor(FROM / 1000)
    const toSeconds = Math.floor(NOW / 1000) + 1
    const { counts } = await countRange(fx.storage, [(await fx.catalog.get(id))!], rangeSelection({ fromSeconds, toSeconds }))
    const minutes = [...(counts.get(id)?.values() ?? [])]
    const total = minutes.reduce((n, m) => n + m.total, 0)
    const good = minutes.reduce((n, m) => n + m.good, 0)
    const { body } = await get(`/api/v1/slos/${id}/attribution?from=${fromSeconds}&to=${toSeconds}&dimensions=route`)
    expect(total).toBeGreaterThan(0)
    expect({ total: body.total, bad: body.bad }).toEqual({ total, bad: total - good })
  })

  it('answers 400 for a PromQL SLI', async () => {
    const { status, body } = await get(`/api/v1/slos/api-promql/attribution?${range}`)
    expect(status).toBe(400)
    expect(body.error.message).toContain('promql SLI')
  })
})
