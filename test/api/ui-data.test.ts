import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { NOW, startUiFixture, type UiFixture } from '../ui/fixture.ts'

// The read endpoints the web UI needs beside the status: alert policies and
// state changes, budget trends for sparklines, a search of bad spans.

let fixture: UiFixture
beforeAll(async () => {
  fixture = await startUiFixture()
})
afterAll(async () => {
  await fixture?.close()
})

async function get(path: string) {
  const res = await fetch(`${fixture.baseUrl}${path}`)
  return { status: res.status, body: (await res.json()) as any }
}

describe('GET /api/v1/alerts/policies', () => {
  it('gives each distinct policy once and every SLO its index', async () => {
    const { status, body } = await get('/api/v1/alerts/policies')
    expect(status).toBe(200)
    expect(Object.keys(body.slos).sort()).toEqual(['auth-login', 'billing-requests-availability', 'cart-availability', 'checkout-availability', 'inventory-availability', 'search-latency'])
    const thirty = body.policies[body.slos['checkout-availability']]
    expect(body.slos['search-latency']).toBe(body.slos['checkout-availability'])
    expect(thirty).toEqual({
      periodSeconds: 2_592_000, source: 'reference', windows: [
        { severity: 'page', speed: 'quick', budgetPercent: 2, shortWindow: '5m', longWindow: '1h', threshold: 14.4 },
        { severity: 'page', speed: 'slow', budgetPercent: 5, shortWindow: '30m', longWindow: '6h', threshold: 6 },
        { severity: 'ticket', speed: 'quick', budgetPercent: 10, shortWindow: '2h', longWindow: '1d', threshold: 3 },
        { severity: 'ticket', speed: 'slow', budgetPercent: 10, shortWindow: '6h', longWindow: '3d', threshold: 1 },
      ],
    })
    const week = body.policies[body.slos['auth-login']]
    expect(week).toMatchObject({ periodSeconds: 604_800, source: 'derived' })
    expect(new Set(Object.values(body.slos)).size).toBe(body.policies.length)
  })
})

describe('GET /api/v1/alerts/{id}', () => {
  it('gives the policy, the current state and the recorded changes, newest first', async () => {
    const { status, body } = await get('/api/v1/alerts/checkout-availability')
    expect(status).toBe(200)
    expect(body.policy.windows[0].threshold).toBe(14.4)
    expect(body.current.page).toMatchObject({ state: 'firing' })
    expect(body.history.map((h: any) => [h.severity, h.state])).toEqual([['page', 'firing'], ['ticket', 'inactive']])
    expect(body.history[0]).toMatchObject({ firedAt: new Date(NOW - 35 * 60_000).toISOString(), resolvedAt: null })
  })

  it('answers 404 for an unknown SLO', async () => {
    expect(await get('/api/v1/alerts/nope')).toEqual({ status: 404, body: { error: { code: 'not_found', message: 'no SLO with id "nope"' } } })
  })
})

describe('GET /api/v1/trends/budget', () => {
  it('gives every evaluated SLO its remaining budget per step of whole hours, null where a step has none', async () => {
    const { status, body } = await get(`/api/v1/trends/budget?from=${(NOW - 7 * 86_400_000) / 1000}&to=${NOW / 1000 + 1}&points=14`)
    expect(status).toBe(200)
    expect(body.stepSeconds).toBe(13 * 3600) // (7 days + 1 s) / 14, rounded up to whole hours
    const hourOfFrom = Math.floor((NOW - 7 * 86_400_000) / 3_600_000) * 3_600_000
    const steps = Math.ceil((NOW + 1000 - hourOfFrom) / (13 * 3_600_000))
    expect(body.from).toBe(new Date(NOW - 7 * 86_400_000).toISOString())
    expect(body.slos['checkout-availability']).toHaveLength(steps)
    expect(body.slos['checkout-availability'].at(-1)).toBeCloseTo(0.3, 2)
    expect(body.slos['checkout-availability'].every((v: number) => v >= 0.29 && v <= 1)).toBe(true)
    expect(body.slos['inventory-availability']).toEqual(Array(steps).fill(null))
    // cart's 48 evaluations, every 3 hours over the last 6 days: the first step has none.
    expect(body.slos['cart-availability'][0]).toBeNull()
    expect(body.slos['cart-availability'][1]).toBeGreaterThan(0.99)
    expect(body.slos['cart-availability'].at(-1)).toBe(0.6)
    expect(body.slos['billing-requests-availability']).toBeUndefined()
  })

  it('follows evaluations written after the migration (the materialized view)', async () => {
    const before = (await get('/api/v1/trends/budget?from=now-2h&points=2')).body.slos['search-latency']
    expect(before.at(-1)).toBe(0.92)
    await fixture.storage.insertRows('cairn_slo_evaluations', [{ slo_id: 'search-latency', evaluated_at: Date.now(), status: 'ok', objective: 0.995, sli: 0.999, events_total: 1, events_bad: 0, budget_total: 1, budget_consumed: 0.2, budget_remaining: 0.8, burn_rates: {} }])
    expect((await get('/api/v1/trends/budget?from=now-2h&points=2')).body.slos['search-latency'].at(-1)).toBe(0.8)
  })

  it('refuses bad parameters', async () => {
    expect((await get('/api/v1/trends/budget?points=1')).body.error.message).toMatch(/points.*at least 2/)
    expect((await get('/api/v1/trends/budget?from=now&to=now-1h')).status).toBe(400)
  })
})

describe('GET /api/v1/traces (search)', () => {
  it('finds the bad spans of a service, newest first', async () => {
    const { status, body } = await get('/api/v1/traces?service=checkout&status=error&limit=2')
    expect(status).toBe(200)
    expect(body.spans.map((s: any) => [s.spanId, s.status.code])).toEqual([['00000000000000c0', 'Error'], ['00000000000000c1', 'Error']])
    expect((await get('/api/v1/traces?service=checkout&minDurationMs=121')).body.spans).toEqual([])
    expect((await get('/api/v1/traces?service=checkout&minDurationMs=120&spanName=POST%20/checkout')).body.spans).toHaveLength(3)
    expect((await get('/api/v1/traces?service=auth&status=error')).body.spans).toEqual([])
  })

  it('refuses a search without a service or with a bad limit', async () => {
    expect((await get('/api/v1/traces')).status).toBe(400)
    expect((await get('/api/v1/traces?service=x&limit=1000')).body.error.message).toMatch(/limit.*at most 100/)
    expect((await get('/api/v1/traces?service=x&status=ok')).status).toBe(400)
  })
})
