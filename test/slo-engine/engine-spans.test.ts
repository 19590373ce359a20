import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Registry } from 'prom-client'
import { configSchema } from '../../config/index.ts'
import { createLogger } from '../../instrumentation/index.ts'
import { migrate, openStorage, otelMigrations, type Storage } from '../../storage/index.ts'
import { createEngine, createSloCatalog, engineMigrations, readEvaluationHistory, type Engine, type Slo, type SloEvaluation } from '../../slo-engine/index.ts'
import { spans } from '../fixtures/telemetry.ts'
import { latestEvaluation } from '../support/evaluations.ts'
import { tempDir } from '../support/temp.ts'

const dir = tempDir()
const sloDir = join(dir.path, 'slos')
// Keep raw data forever: the test's timestamps are fixed in the past.
const config = configSchema.parse({ storage: { dataDir: join(dir.path, 'data'), ttlDays: { traces: 0, logs: 0, metrics: 0 } }, engine: { sloDir } })
let storage: Storage
let engine: Engine
let registry: Registry
const hooked: { slo: string; evaluation: SloEvaluation }[] = []
const ticksDone: { ids: string[]; atMs: number; hooksBefore: number }[] = []

const slo = (name: string, sli: string, extra = '') => `apiVersion: cairn/v1
kind: SLO
metadata: { name: ${name}, service: checkout }
spec:
  objective: 99
  window: 1d
${extra}  sli:
    spans: ${sli}
---
`
const availability = "{ service: checkout, spanName: POST /pay, spanKind: Server, attributes: { http.route: /pay }, bad: error }"

function writeSlos(...docs: string[]): void {
  writeFileSync(join(sloDir, 'checkout.yaml'), docs.join(''))
}

const latest = (id: string) => latestEvaluation(storage, id)

beforeAll(async () => {
  mkdirSync(sloDir)
  storage = await openStorage(config.storage)
  await migrate(storage, [...otelMigrations(config.storage.ttlDays), ...engineMigrations])
  registry = new Registry()
  const logger = createLogger('silent')
  engine = createEngine({
    config: config.engine,
    storage,
    logger,
    registry,
    catalog: createSloCatalog({ storage, sloDir, logger }),
    extraWindowsSeconds: (s: Slo) => (s.name === 'availability' ? [4 * 3600] : []),
    onEvaluated: async (s, evaluation) => {
      hooked.push({ slo: s.id, evaluation })
      if (s.name === 'latency') throw new Error('a broken hook')
    },
    onTickDone: async (ids, atMs) => {
      ticksDone.push({ ids: [...ids].sort(), atMs, hooksBefore: hooked.length })
    },
  })
  // Matching spans: 1000 two hours ago, 100 with 10 errors at 11:30, 100 with 2 errors at 11:58,
  // and 100 with 50 errors two days ago (outside the 1d window, inside 3d).
  await storage.insertRows('otel_traces', [
    ...spans('2025-01-13T12:00:00Z', 100, { errors: 50 }),
    ...spans('2025-01-15T10:00:00Z', 1000, { slow: 100 }),
    ...spans('2025-01-15T11:30:00Z', 100, { errors: 10, slow: 20 }),
    ...spans('2025-01-15T11:58:00Z', 100, { errors: 2 }),
    // Spans that must not count: another service, span name, kind, route.
    ...spans('2025-01-15T11:58:00Z', 50, { service: 'cart', errors: 50 }),
    ...spans('2025-01-15T11:58:00Z', 50, { name: 'GET /pay', errors: 50 }),
    ...spans('2025-01-15T11:58:00Z', 50, { kind: 'Client', errors: 50 }),
    ...spans('2025-01-15T11:58:00Z', 50, { attributes: { 'http.route': '/refund' }, errors: 50 }),
  ])
})
afterAll(async () => {
  await storage.close()
  dir.remove()
})

describe('SLO engine over spans', () => {
  it('computes SLI, budget and every burn rate by hand-checked numbers', async () => {
    writeSlos(
      slo('availability', availability),
      slo('latency', "{ service: checkout, spanName: { re: 'POST /.*' }, attributes: { http.route: { neq: /refund } }, bad: { latency: { threshold: 300ms } } }"),
      slo('silent', "{ service: nobody, bad: error }"),
    )
    await engine.tick(new Date('2025-01-15T12:00:30Z'))
    const a = await latest('checkout-availability')
    expect(a.status).toBe('ok')
    expect(a.evaluatedAtMs).toBe(Date.parse('2025-01-15T12:00:00Z'))
    expect(a.objectiveRatio).toBe(0.99)
    // Window (1d): 1200 spans, 12 errors.
    expect(a.eventsTotal).toBe(1200)
    expect(a.eventsBad).toBe(12)
    expect(a.sli).toBeCloseTo(0.99, 12)
    expect(a.budgetTotal).toBeCloseTo(12, 9)
    expect(a.budgetConsumed).toBe(12)
    expect(a.budgetRemainingRatio).toBeCloseTo(0, 9)
    // Burn rate = bad/total ÷ 0.01.
    const expected: Record<string, number> = {
      '5m': 2 / 100 / 0.01, // 11:55–12:00: 100 spans, 2 errors
      '30m': 12 / 200 / 0.01, // 11:30–12:00
      '1h': 12 / 200 / 0.01,
      '2h': 12 / 1200 / 0.01, // 10:00–12:00
      '4h': 12 / 1200 / 0.01, // the extra window alerting asked for
      '6h': 12 / 1200 / 0.01,
      '1d': 12 / 1200 / 0.01,
      '3d': 62 / 1300 / 0.01, // with the 100 spans of two days ago
      window: 12 / 1200 / 0.01,
    }
    expect(Object.keys(a.burnRates).sort()).toEqual(Object.keys(expected).sort())
    for (const [w, v] of Object.entries(expected)) expect(a.burnRates[w], w).toBeCloseTo(v, 9)

    // Latency: slower than 300ms is bad; 100 slow of 1000 at 10:00 and 20 of 100 at 11:30. Any kind counts
    // (the 50 Client spans at 11:58 too), the /refund and GET spans do not.
    const l = await latest('checkout-latency')
    expect([l.eventsTotal, l.eventsBad]).toEqual([1250, 120])
    expect(l.sli).toBeCloseTo(1 - 120 / 1250, 12)
    expect(l.burnRates['5m']).toBe(0)
    expect(l.burnRates['30m']).toBeCloseTo(20 / 250 / 0.01, 9)
    expect(l.budgetRemainingRatio).toBeCloseTo(1 - 120 / 12.5, 9)
  })

  it('reports zero traffic as no data, never NaN or a fake 100%', async () => {
    const s = await latest('checkout-silent')
    expect(s).toEqual({
      sloId: 'checkout-silent',
      evaluatedAtMs: Date.parse('2025-01-15T12:00:00Z'),
      status: 'no_data',
      objectiveRatio: 0.99,
      sli: null,
      eventsTotal: 0,
      eventsBad: 0,
      budgetTotal: 0,
      budgetConsumed: 0,
      budgetRemainingRatio: null,
      burnRates: {},
    })
  })

  it('exports the gauges and calls the hooks, a failing hook not stopping the others', async () => {
    expect(hooked.map((h) => h.slo).sort()).toEqual(['checkout-availability', 'checkout-latency', 'checkout-silent'])
    const text = await registry.metrics()
    const labels = 'slo="checkout-availability",service="checkout",name="availability"'
    expect(text).toContain(`cairn_slo_objective_ratio{${labels}} 0.99`)
    expect(text).toContain(`cairn_slo_events_total{${labels}} 1200`)
    expect(text).toContain(`cairn_slo_events_bad{${labels}} 12`)
    expect(text).toContain(`cairn_slo_burn_rate{${labels},window="5m"} 2`)
    expect(text).toContain(`cairn_slo_last_evaluation_timestamp_seconds{${labels}} ${Date.parse('2025-01-15T12:00:00Z') / 1000}`)
    expect(text).not.toMatch(/cairn_slo_sli_ratio\{slo="checkout-silent"/)
    expect(text).toContain('cairn_slo_events_total{slo="checkout-silent",service="checkout",name="silent"} 0')
  })

  it('counts late data inside the lookback, and a repeated tick changes nothing', async () => {
    // Spans for 11:59 arrive after the 12:00 tick.
    await storage.insertRows('otel_traces', spans('2025-01-15T11:59:00Z', 100, { errors: 8 }))
    await engine.tick(new Date('2025-01-15T12:01:00Z'))
    const a = await latest('checkout-availability')
    expect([a.eventsTotal, a.eventsBad]).toEqual([1300, 20])
    expect(a.burnRates['5m']).toBeCloseTo(10 / 200 / 0.01, 9)
    await engine.tick(new Date('2025-01-15T12:01:00Z'))
    expect(await latest('checkout-availability')).toEqual(a)
    const history = await readEvaluationHistory(storage, 'checkout-availability', { fromMs: Date.parse('2025-01-15T11:00:00Z'), toMs: Date.parse('2025-01-15T13:00:00Z'), stepSeconds: 60 })
    expect(history.map((h) => [new Date(h.evaluatedAtMs).toISOString(), h.eventsTotal, h.eventsBad])).toEqual([
      ['2025-01-15T12:00:00.000Z', 1200, 12],
      ['2025-01-15T12:01:00.000Z', 1300, 20],
    ])
  })

  it('backfills a changed SLO from the raw data still stored', async () => {
    // The SLI now also counts Client spans: the rollups are recomputed over the whole window.
    writeSlos(slo('availability', "{ service: checkout, spanName: POST /pay, attributes: { http.route: /pay }, bad: error }"), slo('latency', "{ service: checkout, bad: { latency: { threshold: 300ms } } }"), slo('silent', '{ service: nobody, bad: error }'))
    await engine.tick(new Date('2025-01-15T12:02:00Z'))
    const a = await latest('checkout-availability')
    expect([a.eventsTotal, a.eventsBad]).toEqual([1350, 70])
    expect(a.burnRates['3d']).toBeCloseTo(120 / 1450 / 0.01, 9)
  })

  it('tells onTickDone after the hooks which SLOs it evaluated: none once no computed SLO is left', async () => {
    expect(ticksDone[0]).toEqual({ ids: ['checkout-availability', 'checkout-latency', 'checkout-silent'], atMs: Date.parse('2025-01-15T12:00:00Z'), hooksBefore: 3 })
    // Only a PromQL SLO remains: nothing is evaluated, and the hook still hears of the tick.
    writeFileSync(join(sloDir, 'checkout.yaml'), `apiVersion: cairn/v1
kind: SLO
metadata: { name: prom, service: checkout }
spec:
  objective: 99
  window: 1d
  sli:
    promql: { errorRatioQuery: "vector(0)" }
`)
    const before = hooked.length
    await engine.tick(new Date('2025-01-15T12:03:00Z'))
    expect(hooked.length).toBe(before)
    expect(ticksDone.at(-1)).toEqual({ ids: [], atMs: Date.parse('2025-01-15T12:03:00Z'), hooksBefore: before })
  })
})
