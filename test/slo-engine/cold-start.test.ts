import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Registry } from 'prom-client'
import { configSchema } from '../../config/index.ts'
import { createLogger } from '../../instrumentation/index.ts'
import type { Storage } from '../../storage/index.ts'
import { createEngine, createSloCatalog, ENGINE_TABLES, readLatestEvaluations, type Engine, type Slo } from '../../slo-engine/index.ts'
import { spans } from '../fixtures/telemetry.ts'
import { openMigratedStorage } from '../support/storage.ts'
import { seedRollupHistory } from '../support/rollup-history.ts'
import { tempDir } from '../support/temp.ts'

// Issue 16: an engine restarted over a store with many SLOs and a long rollup
// history evaluates them in its first tick reading only the rows at the
// window edges (ClickHouse enforces it: every query of the engine runs with
// max_rows_to_read, and EXPLAIN ESTIMATE counts what the rollup reads touch),
// and a new SLO's backfill runs after those evaluations, a slice per tick.

const dir = tempDir()
const sloDir = join(dir.path, 'slos')
const config = configSchema.parse({ storage: { dataDir: join(dir.path, 'data'), ttlDays: { traces: 0, logs: 0, metrics: 0 } }, engine: { sloDir } })
const SLOS = 40
const DAYS = 60
const NOW = Date.parse('2025-03-01T12:00:00Z') / 1000
const MAX_ROWS_PER_QUERY = 100_000
let storage: Storage
let historyRows = 0
const rollupReads: { sql: string; params: unknown }[] = []

const slo = (name: string, service: string, window: string) => `apiVersion: cairn/v1
kind: SLO
metadata: { name: ${name}, service: ${service} }
spec:
  objective: 99
  window: ${window}
  sli: { spans: { service: ${service}, bad: error } }
`

/** The store as the engine sees it: every query limited in rows read, and the reads of the rollup table recorded. */
function limited(target: Storage): Storage {
  return new Proxy(target, {
    get(t, prop, receiver) {
      if (prop !== 'query') {
        const value = Reflect.get(t, prop, receiver)
        return typeof value === 'function' ? value.bind(t) : value
      }
      return (sql: string, params?: Record<string, unknown>, settings?: Record<string, unknown>) => {
        if (sql.includes(ENGINE_TABLES.rollups)) rollupReads.push({ sql, params })
        return t.query(sql, params, { ...settings, max_rows_to_read: String(MAX_ROWS_PER_QUERY), read_overflow_mode: 'throw' } as never)
      }
    },
  })
}

beforeAll(async () => {
  mkdirSync(sloDir)
  const docs = Array.from({ length: SLOS }, (_, i) => slo(`availability-${i}`, `svc${i % 4}`, '30d'))
  writeFileSync(join(sloDir, 'old.yaml'), docs.join('---\n'))
  storage = await openMigratedStorage(config)
  const logger = createLogger('silent')
  const catalog = createSloCatalog({ storage, sloDir, logger })
  await catalog.syncFiles()
  // The history a previous engine left: 60 days of rollups up to NOW, and its state.
  historyRows = await seedRollupHistory(storage, await catalog.list(), NOW, DAYS)
  await storage.command(`OPTIMIZE TABLE ${ENGINE_TABLES.rollups} FINAL`)
  await storage.insertRows('otel_traces', ['svc0', 'svc1', 'svc2', 'svc3'].flatMap((service) => spans('2025-03-01T11:58:00Z', 20, { service, errors: 1 })))
  // A team adds an SLO while the engine is down: it needs a backfill.
  writeFileSync(join(sloDir, 'new.yaml'), slo('latency', 'svc0', '1d'))
}, 120_000)
afterAll(async () => {
  await storage?.close()
  dir.remove()
})

describe('engine cold start', () => {
  it('evaluates every current SLO in its first tick without reading the rollup history, before any backfill', async () => {
    const registry = new Registry()
    const slicesAt: number[] = []
    const slices = async () => Number((await registry.getSingleMetric('cairn_engine_backfill_slices_total')!.get()).values[0]?.value ?? 0)
    const logger = createLogger('silent')
    const engine: Engine = createEngine({
      config: config.engine,
      storage: limited(storage),
      logger,
      registry,
      catalog: createSloCatalog({ storage: limited(storage), sloDir, logger }),
      catchUpBudgetMs: 0, // one backfill slice per tick
      onEvaluated: async (s: Slo) => {
        if (s.name !== 'latency') slicesAt.push(await slices())
      },
    })
    const T1 = NOW + 60
    await engine.tick(new Date(T1 * 1000))

    const latest = await readLatestEvaluations(storage)
    const old = [...latest.values()].filter((e) => e.sloId.includes('availability'))
    expect(old).toHaveLength(SLOS)
    for (const e of old) expect([e.sloId, e.status, e.evaluatedAtMs]).toEqual([e.sloId, 'ok', T1 * 1000])
    // Their pages went out before the first backfill slice ran; the new SLO waits for its backfill.
    expect(slicesAt).toEqual(Array(SLOS).fill(0))
    expect(await slices()).toBe(1)
    expect(latest.has('svc0-latency')).toBe(false)
    expect(engine.progress()).toEqual({ pendingSlos: 1, remainingSeconds: 2 * 86400 })

    // What the rollup reads touched, by ClickHouse's own index analysis: a few granules per window edge.
    let estimated = 0
    for (const r of rollupReads) {
      for (const row of await storage.query<{ rows: string }>(`EXPLAIN ESTIMATE ${r.sql}`, r.params as never)) estimated += Number(row.rows)
    }
    expect(rollupReads.length).toBeGreaterThan(0)
    expect(estimated).toBeLessThan(historyRows / 50)

    // The backfill goes on a slice per tick while the others are evaluated every tick; it completes at the fourth.
    for (const t of [T1 + 60, T1 + 120, T1 + 180]) await engine.tick(new Date(t * 1000))
    const after = await readLatestEvaluations(storage)
    expect(after.get('svc0-latency')).toMatchObject({ status: 'ok', evaluatedAtMs: (T1 + 180) * 1000 })
    expect(after.get('svc0-availability-0')?.evaluatedAtMs).toBe((T1 + 180) * 1000)
    expect(engine.progress()).toEqual({ pendingSlos: 0, remainingSeconds: 0 })
  }, 120_000)
})
