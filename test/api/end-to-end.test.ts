import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { startCairn, type CairnServer } from '../support/cairn-process.ts'
import { tempDir } from '../support/temp.ts'

// End to end in one `cairn serve`: spans sent over OTLP, evaluated by the
// engine, served by the API (status, history, trace) and exported as the
// gauges the Prometheus dashboards select.

const dir = tempDir()
let cairn: CairnServer

const TRACE = '0af7651916cd43dd8448eb211c80319c'
const SPEC = `apiVersion: cairn/v1
kind: SLO
metadata: { name: checkout, service: shop }
spec:
  objective: 90
  window: 1d
  sli: { spans: { service: shop, spanKind: Server, bad: error } }
`

function spans() {
  const startNs = BigInt(Date.now() - 120_000) * 1_000_000n
  return {
    resourceSpans: [{
      resource: { attributes: [{ key: 'service.name', value: { stringValue: 'shop' } }] },
      scopeSpans: [{
        scope: { name: 'test' },
        spans: Array.from({ length: 10 }, (_, i) => ({
          traceId: TRACE, spanId: (i + 1).toString(16).padStart(16, '0'), name: 'POST /checkout', kind: 2,
          startTimeUnixNano: (startNs + BigInt(i) * 1_000_000n).toString(), endTimeUnixNano: (startNs + BigInt(i) * 1_000_000n + 5_000_000n).toString(),
          status: { code: i < 2 ? 2 : 1 },
        })),
      }],
    }],
  }
}

beforeAll(async () => {
  mkdirSync(join(dir.path, 'slos'))
  writeFileSync(join(dir.path, 'slos', 'shop.yaml'), SPEC)
  cairn = await startCairn({ CAIRN_DATA_DIR: join(dir.path, 'data'), CAIRN_SLO_DIR: join(dir.path, 'slos'), CAIRN_EVAL_SCHEDULE: '* * * * * *' })
})
afterAll(async () => {
  await cairn?.stop()
  dir.remove()
})

describe('cairn serve, end to end', () => {
  it('serves the status, history, trace and gauges of ingested spans', async () => {
    const sent = await fetch(`${cairn.otlpUrl}/v1/traces`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(spans()) })
    expect(sent.status).toBe(200)

    // The engine evaluates every second; wait for the evaluation that counts all ten spans.
    const slo = await vi.waitFor(
      async () => {
        const body = (await (await fetch(`${cairn.apiUrl}/api/v1/slos/shop-checkout`)).json()) as any
        expect(body.status?.events?.total).toBe(10)
        return body
      },
      { timeout: 45_000, interval: 250 },
    )
    expect(slo.status).toMatchObject({ state: 'ok', sli: 0.8, objective: 0.9, events: { total: 10, bad: 2 } })
    expect(slo.status.errorBudget.remainingRatio).toBeCloseTo(-1, 9) // 2 bad against a budget of 1
    // Spent: the past instant at the window's average burn, R × 1d ÷ b = −1 × 24h ÷ 2 = 12 hours before the evaluation.
    expect(Date.parse(slo.status.budgetExhaustedAt) - Date.parse(slo.status.evaluatedAt)).toBeCloseTo(-12 * 3_600_000, -1)
    expect(slo.status.budgetForecast).toEqual({ burnRate: expect.closeTo(2, 9), basis: 'window' })

    const history = (await (await fetch(`${cairn.apiUrl}/api/v1/slos/shop-checkout/history?from=now-10m&step=1m`)).json()) as any
    expect(history.evaluations.at(-1)).toMatchObject({ status: 'ok', sli: 0.8, eventsTotal: 10, eventsBad: 2 })

    const trace = (await (await fetch(`${cairn.apiUrl}/api/v1/traces/${TRACE}`)).json()) as any
    expect(trace.spanCount).toBe(10)
    expect(trace.spans.filter((s: any) => s.status.code === 'Error')).toHaveLength(2)

    // The selectors of the Prometheus dashboards match what /metrics exports.
    const metrics = await (await fetch(`${cairn.apiUrl}/metrics`)).text()
    expect(metrics).toMatch(/^cairn_slo_sli_ratio\{slo="shop-checkout",service="shop",name="checkout"\} 0\.8$/m)
    expect(metrics).toMatch(/^cairn_slo_burn_rate\{slo="shop-checkout",service="shop",name="checkout",window="1h"\} 2$/m)
    expect(metrics).toMatch(/^cairn_slo_budget_exhausted_in_seconds\{slo="shop-checkout",service="shop",name="checkout"\} 0$/m)
    const dashboard = (await (await fetch(`${cairn.apiUrl}/api/v1/dashboards/slo/shop-checkout`)).json()) as any
    const exprs = dashboard.panels.flatMap((p: any) => (p.targets ?? []).map((t: any) => t.expr))
    expect(exprs).toContain('cairn_slo_sli_ratio{slo="shop-checkout"}')
  })
})
