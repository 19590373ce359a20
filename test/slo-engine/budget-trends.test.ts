import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { configSchema } from '../../config/index.ts'
import { migrate, openStorage, type Storage } from '../../storage/index.ts'
import { ENGINE_TABLES, engineMigrations, readBudgetTrends } from '../../slo-engine/index.ts'
import { tempDir } from '../support/temp.ts'

// The hourly remaining-budget table behind the overview's sparklines: the
// migration backfills it from the evaluations already stored, and the
// materialized view follows every evaluation written after.

const dir = tempDir()
let storage: Storage
const HOUR = 3_600_000
const NOW_HOUR = Math.floor(Date.now() / HOUR) * HOUR

const evaluation = (id: string, atMs: number, remaining: number | null) => ({
  slo_id: id, evaluated_at: atMs, status: remaining === null ? 'no_data' : 'ok', objective: 0.99, sli: null, events_total: 0, events_bad: 0,
  budget_total: 0, budget_consumed: 0, budget_remaining: remaining, burn_rates: {},
})

beforeAll(async () => {
  storage = await openStorage(configSchema.parse({ storage: { dataDir: join(dir.path, 'data') } }).storage)
  await migrate(storage, engineMigrations.slice(0, 1))
  // Before the hourly table exists: two hours of a, each with an earlier and a later evaluation.
  await storage.insertRows(ENGINE_TABLES.evaluations, [
    evaluation('a', NOW_HOUR - 2 * HOUR + 50 * 60_000, 0.7), evaluation('a', NOW_HOUR - 2 * HOUR + 10 * 60_000, 0.9),
    evaluation('a', NOW_HOUR - HOUR + 5 * 60_000, 0.6), evaluation('a', NOW_HOUR - HOUR + 55 * 60_000, 0.5),
  ])
  await migrate(storage, engineMigrations)
})
afterAll(async () => {
  await storage?.close()
  dir.remove()
})

describe('readBudgetTrends', () => {
  it('reads the last evaluation of each hour, backfilled by the migration', async () => {
    const { stepSeconds, trends } = await readBudgetTrends(storage, { fromMs: NOW_HOUR - 3 * HOUR, toMs: NOW_HOUR + HOUR, stepSeconds: 3600 })
    expect(stepSeconds).toBe(3600)
    expect(trends.get('a')).toEqual([null, 0.7, 0.5, null])
  })

  it('follows new evaluations through the materialized view, steps of several hours taking the latest', async () => {
    await storage.insertRows(ENGINE_TABLES.evaluations, [evaluation('a', NOW_HOUR + 60_000, 0.4), evaluation('b', NOW_HOUR + 60_000, null)])
    const { stepSeconds, trends } = await readBudgetTrends(storage, { fromMs: NOW_HOUR - 3 * HOUR + 1, toMs: NOW_HOUR + HOUR, stepSeconds: 5000 })
    expect(stepSeconds).toBe(2 * 3600) // rounded up to whole hours
    expect(trends.get('a')).toEqual([0.7, 0.4])
    expect(trends.get('b')).toEqual([null, null])
  })
})
