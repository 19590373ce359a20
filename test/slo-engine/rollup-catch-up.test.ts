import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { configSchema } from '../../config/index.ts'
import { createLogger } from '../../instrumentation/index.ts'
import { createSloCatalog, engineMigrations, ENGINE_TABLES, type Slo } from '../../slo-engine/index.ts'
import { advancePending, updateRollups, type RecentSums, type UpdateOptions } from '../../slo-engine/rollup/update.ts'
import type { RollupState } from '../../slo-engine/rollup/store.ts'
import { migrate, openStorage, otelMigrations, type Storage } from '../../storage/index.ts'
import { spans } from '../fixtures/telemetry.ts'
import { tempDir } from '../support/temp.ts'

// A catch-up of span rollups whose watermark is far behind (the engine was
// down): it is pending, goes after the evaluations in slices of stored rows,
// and counts each row once. The slices are made tiny (a few ms of store time)
// so that rows stored a few ms apart fall in different slices.

const dir = tempDir('cairn-catch-up-')
const sloDir = join(dir.path, 'slos')
const config = configSchema.parse({ storage: { dataDir: join(dir.path, 'data'), ttlDays: { traces: 0, logs: 0, metrics: 0 } }, engine: { sloDir } })
const logger = createLogger('silent')
let storage: Storage
let slos: Slo[]
const T0 = Date.parse('2025-06-01T12:00:00Z') / 1000
const states = new Map<string, RollupState>()
const recent: RecentSums = new Map()
const base = (nowSeconds: number): UpdateOptions => ({ nowSeconds, lookbackSeconds: 600, latenessSeconds: 3600, extraWindowsSeconds: () => [], recent })

beforeAll(async () => {
  mkdirSync(sloDir)
  writeFileSync(join(sloDir, 'cu.yaml'), `apiVersion: cairn/v1
kind: SLO
metadata: { name: catching-up, service: cu }
spec:
  objective: 99
  window: 1d
  sli: { spans: { service: cu, bad: error } }
`)
  storage = await openStorage(config.storage)
  await migrate(storage, [...otelMigrations(config.storage.ttlDays), ...engineMigrations])
  const catalog = createSloCatalog({ storage, sloDir, logger })
  await catalog.syncFiles()
  slos = await catalog.list()
})
afterAll(async () => {
  await storage.close()
  dir.remove()
})

async function total(id: string): Promise<{ total: number; good: number }> {
  const [r] = await storage.query<{ t: number; g: number }>(
    `SELECT argMax(cum_total, computed_at) AS t, argMax(cum_good, computed_at) AS g FROM ${ENGINE_TABLES.rollups} WHERE slo_id = {id:String} GROUP BY minute ORDER BY minute DESC LIMIT 1`,
    { id },
  )
  return { total: r!.t, good: r!.g }
}

describe('an ingest catch-up', () => {
  it('is pending, advances in slices of stored rows after the evaluations, and counts each row once', async () => {
    const id = slos[0]!.id
    // Backfill first (nothing stored): the SLO gets its watermark.
    const first = await updateRollups(storage, logger, slos, states, base(T0))
    expect(first.pending.map((j) => j.slo.id)).toEqual([id])
    expect((await advancePending(storage, logger, first.pending, states, { ...base(T0), budgetMs: 60_000 })).completed.map((s) => s.id)).toEqual([id])
    // Rows stored in five batches a few ms apart, ending over the last minutes (one an error each time).
    for (let b = 0; b < 5; b++) {
      await storage.insertRows('otel_traces', spans(new Date((T0 - 300 + b * 60) * 1000).toISOString(), 10, { service: 'cu', errors: 1 }).map((r, i) => ({ ...r, TraceId: `b${b}-${i}` })))
      await new Promise((r) => setTimeout(r, 150))
    }
    // Everything since the watermark is more than the inline limit behind: pending, not ready.
    const opts = { ...base(T0 + 60), inlineSeconds: 0, ingestChunkMs: 120 }
    const update = await updateRollups(storage, logger, slos, states, opts)
    expect(update.ready).toEqual([])
    expect(update.pending.map((j) => [j.slo.id, j.mode])).toEqual([[id, 'ingest']])
    const done = await advancePending(storage, logger, update.pending, states, { ...opts, budgetMs: 60_000 })
    expect(done.completed.map((s) => s.id)).toEqual([id])
    expect(done.slices).toBeGreaterThan(3)
    expect(await total(id)).toEqual({ total: 50, good: 45 })
    // The state persisted after each slice carries the watermark: the next ticks read nothing again.
    const [state] = await storage.query<{ complete: number }>(`SELECT argMax(ingest_complete, updated_at) AS complete FROM ${ENGINE_TABLES.rollupState} WHERE slo_id = {id:String}`, { id })
    expect(state!.complete).toBe(1)
    for (const now of [T0 + 120, T0 + 180]) {
      const next = await updateRollups(storage, logger, slos, states, base(now))
      expect(next.ready.map((s) => s.id)).toEqual([id])
    }
    expect(await total(id)).toEqual({ total: 50, good: 45 })
  })
})
