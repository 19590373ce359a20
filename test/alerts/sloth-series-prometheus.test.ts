import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { Registry } from 'prom-client'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { healthRoutes, listen, type ListeningServer } from '../../api/index.ts'
import { configSchema } from '../../config/index.ts'
import { createLogger } from '../../instrumentation/index.ts'
import { createEngine, type SloEvaluation } from '../../slo-engine/index.ts'
import type { Storage } from '../../storage/index.ts'
import { logs, spans } from '../fixtures/telemetry.ts'
import { runCairn } from '../support/cairn-process.ts'
import { latestEvaluation } from '../support/evaluations.ts'
import { eventually, startPrometheus, type RunningPrometheus } from '../support/prometheus.ts'
import { openMigratedStorage, seedCatalog } from '../support/storage.ts'
import { tempDir } from '../support/temp.ts'
import { requireTool } from '../support/needs.ts'

// The whole path a team coming from Sloth relies on: cairn computes a spans
// SLO and a logs SLO, its /metrics (the real registry and route, over a seeded
// store) is scraped by the real Prometheus, which evaluates the rules `cairn
// rules` writes. Sloth's series must then hold cairn's own figures, under
// Sloth's names and labels, and the alerts carry Sloth's labels.

const dir = tempDir('cairn-sloth-series-')
const sloDir = join(dir.path, 'slos')
const config = configSchema.parse({ storage: { dataDir: join(dir.path, 'data'), ttlDays: { traces: 0, logs: 0, metrics: 0 } }, engine: { sloDir } })
let storage: Storage
let metrics: ListeningServer
let prometheus: RunningPrometheus
const evaluations = new Map<string, SloEvaluation>()

const SPECS = `apiVersion: cairn/v1
kind: SLO
metadata: { name: availability, service: checkout, labels: { team: payments } }
spec:
  objective: 99.9
  window: 30d
  sli: { spans: { service: checkout, bad: error } }
  alerting: { name: CheckoutBudgetBurn, page: { labels: { severity: critical } } }
---
apiVersion: cairn/v1
kind: SLO
metadata: { name: queries, service: search, labels: { team: discovery } }
spec:
  objective: 99
  window: 30d
  sli: { logs: { service: search, bad: { severity: error } } }
  alerting: { name: SearchBudgetBurn }
`

beforeAll(async () => {
  storage = await openMigratedStorage(config)
  await seedCatalog(storage, sloDir, { 'slos.yaml': SPECS })
  // Two minutes before the evaluation minute: inside every window, 5m included.
  const nowMs = Math.floor(Date.now() / 60_000) * 60_000
  const at = new Date(nowMs - 120_000).toISOString()
  await storage.insertRows('otel_traces', spans(at, 200, { service: 'checkout', errors: 6 }))
  await storage.insertRows('otel_logs', [...logs(at, 98, { service: 'search', severity: 9 }), ...logs(at, 2, { service: 'search', severity: 17 })])
  const registry = new Registry()
  const engine = createEngine({ config: config.engine, storage, logger: createLogger('silent'), registry })
  await engine.tick(new Date(nowMs))
  for (const id of ['checkout-availability', 'search-queries']) evaluations.set(id, await latestEvaluation(storage, id))
  metrics = await listen(healthRoutes({ check: async () => undefined }, registry), '127.0.0.1', 0)
  // The rules exactly as `cairn rules` writes them.
  const rules = await runCairn(['rules', sloDir])
  expect(rules.stderr).toBe('')
  expect(rules.code).toBe(0)
  writeFileSync(join(dir.path, 'rules.yaml'), rules.stdout)
  prometheus = await startPrometheus(`127.0.0.1:${metrics.port}`, join(dir.path, 'rules.yaml'))
}, 120_000)

afterAll(async () => {
  await prometheus?.stop()
  await metrics?.close()
  await storage?.close()
  dir.remove()
})

/** The one series of a recorded name for an SLO, once Prometheus has it. */
async function series(name: string, sloId: string) {
  const found = await eventually(async () => {
    const result = await prometheus.query(`${name}{sloth_id="${sloId}"}`)
    return result.length > 0 ? result : undefined
  }, 30_000, `${name} for ${sloId}`)
  expect(found).toHaveLength(1)
  return { labels: found[0]!.metric, value: Number(found[0]!.value[1]) }
}

const WINDOWS: [string, string][] = [
  ['5m', '5m'],
  ['30m', '30m'],
  ['1h', '1h'],
  ['2h', '2h'],
  ['6h', '6h'],
  ['1d', '1d'],
  ['3d', '3d'],
  ['30d', 'window'],
]

requireTool('prometheus').describe.each([
  // 6 errors in 200 spans: error ratio 0.03, burn rate 30 against a 0.1% budget.
  { id: 'checkout-availability', service: 'checkout', slo: 'availability', team: 'payments', ratio: 0.03, objective: 0.9990000000000001, budget: 0.001 },
  // 2 error records in 100: error ratio 0.02, burn rate 2 against a 1% budget.
  { id: 'search-queries', service: 'search', slo: 'queries', team: 'discovery', ratio: 0.02, objective: 0.99, budget: 0.01 },
])("Sloth's series for $id in a real Prometheus", (c) => {
  const sloth = { sloth_id: c.id, sloth_service: c.service, sloth_slo: c.slo, team: c.team }

  it('cairn computed the hand-checked figures', () => {
    const e = evaluations.get(c.id)!
    expect(e.eventsBad / e.eventsTotal).toBeCloseTo(c.ratio, 12)
    expect(e.burnRates['5m']).toBeCloseTo(c.ratio / c.budget, 9)
  })

  it.each(WINDOWS)('slo:sli_error:ratio_rate%s is the error ratio cairn computed over that window, labelled as Sloth labels it', async (text, key) => {
    const s = await series(`slo:sli_error:ratio_rate${text}`, c.id)
    expect(s.labels).toEqual({ __name__: `slo:sli_error:ratio_rate${text}`, ...sloth, sloth_window: text })
    const e = evaluations.get(c.id)!
    expect(s.value).toBeCloseTo(e.burnRates[key]! * c.budget, 12)
    expect(s.value).toBeCloseTo(c.ratio, 12)
  })

  it("records Sloth's metadata and burn rates with exactly cairn's numbers", async () => {
    const e = evaluations.get(c.id)!
    const meta = { ...sloth }
    expect(await series('slo:objective:ratio', c.id)).toEqual({ labels: { __name__: 'slo:objective:ratio', ...meta }, value: c.objective })
    expect((await series('slo:error_budget:ratio', c.id)).value).toBeCloseTo(c.budget, 12)
    expect((await series('slo:time_period:days', c.id)).value).toBe(30)
    expect(await series('slo:current_burn_rate:ratio', c.id)).toEqual({ labels: { __name__: 'slo:current_burn_rate:ratio', ...meta }, value: e.burnRates['5m'] })
    expect((await series('slo:period_burn_rate:ratio', c.id)).value).toBe(e.burnRates.window)
    expect(await series('slo:period_error_budget_remaining:ratio', c.id)).toEqual({ labels: { __name__: 'slo:period_error_budget_remaining:ratio', ...meta }, value: e.budgetRemainingRatio })
    expect(e.budgetRemainingRatio).toBeCloseTo(1 - c.ratio / c.budget, 9)
    const info = await series('sloth_slo_info', c.id)
    expect(info.labels).toMatchObject({ ...meta, sloth_objective: String(c.objective === 0.99 ? 99 : 99.9), sloth_spec: 'cairn/v1' })
  })
})

requireTool('prometheus').describe('alerts over cairn gauges in a real Prometheus', () => {
  const firing = async (alertname: string, severity: string) => {
    const found = await eventually(async () => {
      const result = await prometheus.query(`ALERTS{alertname="${alertname}", alertstate="firing", sloth_severity="${severity}"}`)
      return result.length > 0 ? result : undefined
    }, 30_000, `${alertname} ${severity} firing`)
    return found.map((r) => r.metric)
  }

  it("pages with Sloth's labels and the user's severity (burn 30 > 14.4 in 5m and 1h)", async () => {
    const [page] = await firing('CheckoutBudgetBurn', 'page')
    expect(page).toMatchObject({ severity: 'critical', sloth_id: 'checkout-availability', sloth_service: 'checkout', sloth_slo: 'availability', sloth_severity: 'page', slo: 'checkout-availability', team: 'payments' })
    expect(page).not.toHaveProperty('instance')
  })

  it('tickets the logs SLO (burn 2 > 1 over 3d and 6h) and does not page it', async () => {
    const [ticket] = await firing('SearchBudgetBurn', 'ticket')
    expect(ticket).toMatchObject({ severity: 'ticket', sloth_id: 'search-queries', sloth_severity: 'ticket' })
    expect(await prometheus.query('ALERTS{alertname="SearchBudgetBurn", sloth_severity="page"}')).toEqual([])
  })

  it('exposes no colon names on /metrics', async () => {
    const text = await (await fetch(`http://127.0.0.1:${metrics.port}/metrics`)).text()
    expect(text).toContain('cairn_slo_burn_rate{')
    expect(text.split('\n').filter((l) => !l.startsWith('#') && /^[^{ ]*:/.test(l))).toEqual([])
  })
})
