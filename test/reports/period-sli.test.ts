import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { configSchema } from '../../config/index.ts'
import type { Storage } from '../../storage/index.ts'
import { ENGINE_TABLES, readPeriodCounts, type Slo, type SloCatalog } from '../../slo-engine/index.ts'
import { makeReport } from '../../reports/index.ts'
import { openMigratedStorage, seedCatalog } from '../support/storage.ts'
import { seedRollupEdges } from '../support/rollup-history.ts'
import { tempDir } from '../support/temp.ts'

// A report's SLI is the period's own (good ÷ events in the period, from the
// rollups), not the closing evaluation's, which is over the SLO's window: for
// a 30d rolling window and a weekly report they differ. The figures below
// are the rollups' running sums and the evaluations they would give.

const dir = tempDir()
const config = configSchema.parse({ storage: { dataDir: join(dir.path, 'data') } })
let storage: Storage
let catalog: SloCatalog
const T = (text: string) => Date.parse(text)
const chTime = (iso: string) => iso.replace('T', ' ').replace('Z', '')
const spec = (name: string, window: string) => `apiVersion: cairn/v1
kind: SLO
metadata: { name: ${name}, service: orders }
spec: { objective: 99, window: ${window}, sli: { spans: { service: orders, bad: error } } }
`
/** An evaluation row as the engine writes it, for `total` events with `bad` bad ones in the SLO's window. */
const evaluation = (id: string, at: string, total: number, bad: number) => ({
  slo_id: id, evaluated_at: chTime(at), status: 'ok', objective: 0.99, sli: (total - bad) / total, events_total: total, events_bad: bad,
  budget_total: 0.01 * total, budget_consumed: bad, budget_remaining: 1 - bad / (0.01 * total), burn_rates: {},
})

beforeAll(async () => {
  storage = await openMigratedStorage(config)
  catalog = await seedCatalog(storage, join(dir.path, 'slos'), { 'orders.yaml': [spec('rolling', '30d'), spec('monthly', '{ calendar: month, timeZone: UTC }')].join('---\n') })
  // Rolling 30d, rolled up since 31 October: 30,000 events with 30 bad up to the week of 23 November,
  // then 10,000 with 200 bad that week. At the week's close (29 Nov 23:59) its 30-day window holds
  // 40,000 events and 230 bad: SLI 0.99425, met; the week itself 0.98, missed.
  await seedRollupEdges(storage, (await catalog.get('orders-rolling'))!, { epoch: '2026-10-31T00:00:00Z', computedTo: '2026-12-01T00:00:00Z' }, [
    { at: '2026-11-15T23:59:00Z', good: 19_985, total: 20_000 },
    { at: '2026-11-22T23:59:00Z', good: 29_970, total: 30_000 },
    { at: '2026-11-29T23:59:00Z', good: 39_770, total: 40_000 },
  ])
  // Calendar month, rolled up since 1 November: 20,000 events, 100 bad in November.
  await seedRollupEdges(storage, (await catalog.get('orders-monthly'))!, { epoch: '2026-11-01T00:00:00Z', computedTo: '2026-12-01T00:00:00Z' }, [{ at: '2026-11-30T23:59:00Z', good: 19_900, total: 20_000 }])
  await storage.insertRows(ENGINE_TABLES.evaluations, [
    evaluation('orders-rolling', '2026-11-22T23:59:00Z', 30_000, 30),
    evaluation('orders-rolling', '2026-11-29T23:59:00Z', 40_000, 230),
    evaluation('orders-monthly', '2026-11-30T23:59:00Z', 20_000, 100),
  ])
})
afterAll(async () => {
  await storage?.close()
  dir.remove()
})

const report = async (period: 'week' | 'month', end: string, slos: Slo[]) =>
  makeReport({ period, atMs: T(end), nowMs: T(end), slos, filter: {} }, { storage, attributionMaxRangeMs: 7 * 86_400_000, attributionBudgetMs: 1000 })
const only = (r: Awaited<ReturnType<typeof report>>) => r.teams[0]!.services[0]!.slos[0]!

describe('the SLI of a report period', () => {
  it('is the week\'s own for a 30d rolling window, not the window\'s at the week\'s close', async () => {
    const r = only(await report('week', '2026-11-30T00:00:00Z', [(await catalog.get('orders-rolling'))!]))
    // The week: 40,000 − 30,000 events, (40,000 − 39,770) − (30,000 − 29,970) = 200 bad.
    expect(r).toMatchObject({ sliOver: 'period', events: { total: 10_000, bad: 200 }, sli: 0.98, objective: 0.99, met: false })
    // The budget figures stay the closing evaluations' (the window's): 1 − 230/400 now, 1 − 30/300 before.
    expect(r.budgetRemaining).toBeCloseTo(1 - 230 / 400, 12)
    expect(r.budgetSpent).toBeCloseTo(0.9 - 0.425, 12)
    // The week before: 10,000 events, 15 bad.
    expect(r.previous).toMatchObject({ sliOver: 'period', events: { total: 10_000, bad: 15 }, sli: 0.9985, met: true })
    expect(r.change).toMatchObject({ met: 'lost' })
    expect(r.change.sli).toBeCloseTo(0.98 - 0.9985, 12)
  })

  it('equals the closing evaluation when the window is the period (a calendar month in a monthly report)', async () => {
    const r = only(await report('month', '2026-12-01T00:00:00Z', [(await catalog.get('orders-monthly'))!]))
    const closing = await storage.query<{ sli: number }>(`SELECT sli FROM ${ENGINE_TABLES.evaluations} WHERE slo_id = 'orders-monthly'`)
    expect(r).toMatchObject({ sliOver: 'period', events: { total: 20_000, bad: 100 }, sli: 0.995, met: true, evaluatedAtMs: T('2026-11-30T23:59:00Z') })
    expect(closing.map((c) => c.sli)).toEqual([r.sli])
    // October is before the rollups' epoch: no period figures, and no evaluation either.
    expect(r.previous).toMatchObject({ sli: null, sliOver: null, events: null })
  })

  it('is absent from the rollups when they do not hold the whole period', async () => {
    const slos = [(await catalog.get('orders-rolling'))!]
    const counts = await readPeriodCounts(storage, slos, [
      { startMs: T('2026-10-26T00:00:00Z'), endMs: T('2026-11-02T00:00:00Z') }, // starts before the epoch
      { startMs: T('2026-11-30T00:00:00Z'), endMs: T('2026-12-07T00:00:00Z') }, // not computed yet
      { startMs: T('2026-11-16T00:00:00Z'), endMs: T('2026-11-23T00:00:00Z') },
    ])
    expect(counts.map((c) => c.get('orders-rolling') ?? null)).toEqual([null, null, { total: 10_000, bad: 15 }])
  })
})
