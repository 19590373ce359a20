import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { Writable } from 'node:stream'
import pino from 'pino'
import { Registry } from 'prom-client'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { configSchema } from '../../config/index.ts'
import { createEngine, createSloCatalog, engineMigrations, ENGINE_TABLES, type Engine } from '../../slo-engine/index.ts'
import { migrate, openStorage, otelMigrations, type Storage } from '../../storage/index.ts'
import { logs, spans } from '../fixtures/telemetry.ts'
import { latestEvaluation } from '../support/evaluations.ts'
import { tempDir } from '../support/temp.ts'

// Span and log SLIs are counted from the rows stored since the last tick
// (the ingest watermark), each at its event minute (a span's end), exactly
// once, however late it arrives within the lateness bound (1 h here). The
// expected counts are computed here from what the test inserts, not by SQL.

const dir = tempDir('cairn-once-')
const sloDir = join(dir.path, 'slos')
const config = configSchema.parse({ storage: { dataDir: join(dir.path, 'data'), ttlDays: { traces: 0, logs: 0, metrics: 0 } }, engine: { sloDir, lateness: '1h' } })
let storage: Storage
let registry: Registry
let engine: Engine
const lines: Record<string, any>[] = []
const logger = pino({ level: 'warn' }, new Writable({ write: (chunk, _e, done) => (lines.push(JSON.parse(String(chunk))), done()) }))
const ids = new Map<string, string>()

const MIN = 60
const T0 = Date.parse('2025-06-01T12:00:00Z') / 1000
/** The ticks' clock: every test moves it forward, as a running engine's would. */
let clock = T0
const iso = (seconds: number) => new Date(seconds * 1000).toISOString()
const minuteOf = (seconds: number) => Math.floor(seconds / MIN) * MIN

function spec(name: string, sli: string): string {
  return `apiVersion: cairn/v1
kind: SLO
metadata: { name: ${name}, service: once }
spec:
  objective: 99
  window: 1d
  sli:
    ${sli}
---
`
}

/** One span per entry, of `service`, ending at `end` (Unix seconds) after `durationS`; every third one is an error. */
function endingSpans(service: string, ends: number[], durationS = 2): { rows: object[]; expected: Map<number, { good: number; total: number }> } {
  const expected = new Map<number, { good: number; total: number }>()
  const rows = ends.map((end, i) => {
    const error = i % 3 === 0
    const e = expected.get(minuteOf(end)) ?? { good: 0, total: 0 }
    expected.set(minuteOf(end), { good: e.good + (error ? 0 : 1), total: e.total + 1 })
    const [row] = spans(iso(end - durationS), 1, { service, durationMs: durationS * 1000, errors: error ? 1 : 0 })
    return { ...row, TraceId: `${service}-${end}-${i}-${Math.random()}` }
  })
  return { rows, expected }
}

/** The rollups as stored: per minute the latest good and total, and the running total at the newest minute. */
async function rollups(id: string): Promise<{ perMinute: Map<number, { good: number; total: number }>; cumTotal: number; cumGood: number }> {
  const rows = await storage.query<{ m: number; g: number; t: number; cg: number; ct: number }>(
    `SELECT toUInt32(minute) AS m, argMax(good, computed_at) AS g, argMax(total, computed_at) AS t, argMax(cum_good, computed_at) AS cg, argMax(cum_total, computed_at) AS ct
     FROM ${ENGINE_TABLES.rollups} WHERE slo_id = {id:String} GROUP BY minute ORDER BY minute`,
    { id },
  )
  const perMinute = new Map(rows.filter((r) => r.t > 0).map((r) => [Number(r.m), { good: r.g, total: r.t }]))
  const last = rows.at(-1)!
  return { perMinute, cumTotal: last.ct, cumGood: last.cg }
}

function merge(into: Map<number, { good: number; total: number }>, more: Map<number, { good: number; total: number }>): void {
  for (const [m, c] of more) {
    const e = into.get(m) ?? { good: 0, total: 0 }
    into.set(m, { good: e.good + c.good, total: e.total + c.total })
  }
}

const sum = (m: Map<number, { good: number; total: number }>) => [...m.values()].reduce((a, c) => ({ good: a.good + c.good, total: a.total + c.total }), { good: 0, total: 0 })

async function tick(at: number): Promise<void> {
  clock = at
  await engine.tick(new Date(at * 1000))
}

beforeAll(async () => {
  mkdirSync(sloDir)
  writeFileSync(
    join(sloDir, 'once.yaml'),
    [
      spec('long', '{ spans: { service: long, bad: error } }'),
      spec('late', '{ spans: { service: late, bad: error } }'),
      spec('steady', '{ spans: { service: steady, bad: error } }'),
      spec('bound', '{ spans: { service: bound, bad: error } }'),
      spec('records', '{ logs: { service: records, bad: { severity: ERROR } } }'),
    ].join(''),
  )
  storage = await openStorage(config.storage)
  await migrate(storage, [...otelMigrations(config.storage.ttlDays), ...engineMigrations])
  registry = new Registry()
  const catalog = createSloCatalog({ storage, sloDir, logger })
  engine = createEngine({ config: config.engine, storage, logger, registry, catalog })
  // The first tick backfills every SLO (nothing stored yet); from then on they read what is stored since.
  await tick(T0)
  for (const s of await catalog.list()) ids.set(s.name, s.id)
})
afterAll(async () => {
  await storage.close()
  dir.remove()
})

describe('span and log rollups count every event once, at its event minute', () => {
  it('counts a span that started 12 minutes before it ended once, at the minute it ended', async () => {
    const end = clock + 30 // 12:00:30, started 11:48:30
    const { rows } = endingSpans('long', [end], 12 * MIN)
    await storage.insertRows('otel_traces', rows)
    await tick(clock + 2 * MIN)
    await tick(clock + MIN)
    const { perMinute, cumTotal } = await rollups(ids.get('long')!)
    expect([...perMinute]).toEqual([[minuteOf(end), { good: 0, total: 1 }]])
    expect(cumTotal).toBe(1)
    const e = await latestEvaluation(storage, ids.get('long')!)
    expect([e.eventsTotal, e.eventsBad]).toEqual([1, 1])
  })

  it('counts a span stored 50 minutes after it ended once, in the minute it ended', async () => {
    await tick(clock + MIN)
    const end = clock - 50 * MIN
    const { rows } = endingSpans('late', [end, end + 1])
    await storage.insertRows('otel_traces', rows)
    await tick(clock + MIN)
    await tick(clock + MIN)
    await tick(clock) // the same minute again: nothing changes
    const { perMinute, cumTotal } = await rollups(ids.get('late')!)
    expect([...perMinute]).toEqual([[minuteOf(end), { good: 1, total: 2 }]])
    expect(cumTotal).toBe(2)
    expect((await latestEvaluation(storage, ids.get('late')!)).eventsTotal).toBe(2)
  })

  it('over many ticks with spans and records stored in between (on time, late, long, ahead of the evaluated minute) counts nothing twice', async () => {
    const expected = new Map<number, { good: number; total: number }>()
    const expectedLogs = new Map<number, { good: number; total: number }>()
    for (let i = 1; i <= 15; i++) {
      const now = clock + MIN
      const ends = [now - 50, now - 40, now - 5] // the minute just evaluated, and one still to come
      if (i % 3 === 0) ends.push(now - 17 * MIN) // late
      if (i % 4 === 0) ends.push(now + 90) // ahead of the evaluated minute (a settle delay, a clock ahead)
      if (i === 7) ends.push(now - 59 * MIN) // nearly at the bound
      const batch = endingSpans('steady', ends, i % 5 === 0 ? 15 * MIN : 1)
      merge(expected, batch.expected)
      // Half before, half after a tick that reads nothing of the second half.
      const half = Math.ceil(batch.rows.length / 2)
      await storage.insertRows('otel_traces', batch.rows.slice(0, half))
      const records = logs(iso(now - 30), 4, { service: 'records', severity: i % 2 === 0 ? 17 : 9 })
      merge(expectedLogs, new Map([[minuteOf(now - 30), { good: i % 2 === 0 ? 0 : 4, total: 4 }]]))
      await storage.insertRows('otel_logs', records)
      await tick(now)
      await storage.insertRows('otel_traces', batch.rows.slice(half))
    }
    await tick(clock + MIN)
    await tick(clock + MIN)
    const steady = await rollups(ids.get('steady')!)
    expect(steady.perMinute).toEqual(expected)
    expect({ good: steady.cumGood, total: steady.cumTotal }).toEqual(sum(expected))
    const records = await rollups(ids.get('records')!)
    expect(records.perMinute).toEqual(expectedLogs)
    expect(records.cumTotal).toBe(sum(expectedLogs).total)
    // The SLO window (1d) of the latest evaluation holds every span that ended before the evaluated minute.
    const e = await latestEvaluation(storage, ids.get('steady')!)
    const before = [...expected].filter(([m]) => m < clock).reduce((n, [, c]) => n + c.total, 0)
    expect(e.eventsTotal).toBe(before)
  })

  it('a restarted engine resumes from the rollup rows, even when the state table lags them', async () => {
    const id = ids.get('steady')!
    const start = await rollups(id)
    // As if the engine had stopped between writing its rows and its state: a state row older than the rows.
    const [state] = await storage.query<{ computed_to: number; ingested_to: string; epoch: number; hash: string }>(
      `SELECT toUInt32(argMax(computed_to, updated_at)) AS computed_to, toUnixTimestamp64Milli(argMax(ingested_to, updated_at)) AS ingested_to, toUInt32(argMax(epoch_minute, updated_at)) AS epoch, argMax(sli_hash, updated_at) AS hash
       FROM ${ENGINE_TABLES.rollupState} WHERE slo_id = {id:String}`,
      { id },
    )
    await storage.insertRows(ENGINE_TABLES.rollupState, [
      { slo_id: id, sli_hash: state!.hash, epoch_minute: state!.epoch, computed_to: state!.computed_to - 5 * MIN, ingested_to: Number(state!.ingested_to) - 5 * 60_000, ingest_complete: 1, updated_at: Date.now() },
    ])
    registry = new Registry()
    engine = createEngine({ config: config.engine, storage, logger, registry, catalog: createSloCatalog({ storage, sloDir, logger }) })
    const batch = endingSpans('steady', [clock + 10, clock + 20])
    await storage.insertRows('otel_traces', batch.rows)
    await tick(clock + MIN)
    await tick(clock + MIN)
    const after = await rollups(id)
    expect(lines.filter((l) => String(l.msg).startsWith('SLO rollup rows missing'))).toEqual([]) // resumed, not rebuilt
    expect(after.cumTotal).toBe(start.cumTotal + 2)
    const expected = new Map(start.perMinute)
    merge(expected, batch.expected)
    expect(after.perMinute).toEqual(expected)
  })

  it('takes over rollups written before the watermark existed without a backfill, and counts once from then on', async () => {
    const id = ids.get('long')!
    const start = await rollups(id)
    // The state an engine of the previous version left: no watermark.
    const [state] = await storage.query<{ computed_to: number; epoch: number; hash: string }>(
      `SELECT toUInt32(argMax(computed_to, updated_at)) AS computed_to, toUInt32(argMax(epoch_minute, updated_at)) AS epoch, argMax(sli_hash, updated_at) AS hash
       FROM ${ENGINE_TABLES.rollupState} WHERE slo_id = {id:String}`,
      { id },
    )
    await storage.insertRows(ENGINE_TABLES.rollupState, [{ slo_id: id, sli_hash: state!.hash, epoch_minute: state!.epoch, computed_to: state!.computed_to, ingested_to: 0, ingest_complete: 0, updated_at: Date.now() }])
    registry = new Registry()
    engine = createEngine({ config: config.engine, storage, logger, registry, catalog: createSloCatalog({ storage, sloDir, logger }) })
    const batch = endingSpans('long', [clock + 30])
    await storage.insertRows('otel_traces', batch.rows)
    const evaluated = clock + 2 * MIN
    await tick(evaluated)
    // Evaluated in that tick (no backfill pending), and the epoch kept: the old rollups were taken over.
    expect((await latestEvaluation(storage, id)).evaluatedAtMs).toBe(evaluated * 1000)
    const [after] = await storage.query<{ epoch: number; complete: number }>(
      `SELECT toUInt32(argMax(epoch_minute, updated_at)) AS epoch, argMax(ingest_complete, updated_at) AS complete FROM ${ENGINE_TABLES.rollupState} WHERE slo_id = {id:String}`,
      { id },
    )
    expect(after).toEqual({ epoch: state!.epoch, complete: 1 })
    await tick(clock + MIN)
    const expected = new Map(start.perMinute)
    merge(expected, batch.expected)
    const now = await rollups(id)
    expect(now.perMinute).toEqual(expected)
    expect(now.cumTotal).toBe(start.cumTotal + 1)
  })

  it('reports the events stored later than the bound, and does not count them', async () => {
    const before = lines.length
    const tooLate = endingSpans('bound', [clock - 2 * 3600, clock - 2 * 3600 + 1, clock - 2 * 3600 + 2])
    const inBound = endingSpans('bound', [clock - 30 * MIN])
    // A sender's clock three hours ahead (of the server's clock that stamps the rows: the ticks' clock here is in the past).
    const ahead = endingSpans('bound', [Math.floor(Date.now() / 1000) + 3 * 3600])
    await storage.insertRows('otel_traces', [...tooLate.rows, ...inBound.rows, ...ahead.rows])
    await tick(clock + MIN)
    const id = ids.get('bound')!
    const { perMinute, cumTotal } = await rollups(id)
    expect([...perMinute]).toEqual([...inBound.expected])
    expect(cumTotal).toBe(1)
    const metric = await registry.getSingleMetric('cairn_slo_events_outside_lateness_total')!.get()
    expect(metric.values.find((v) => v.labels.slo === id)?.value).toBe(4)
    const warned = lines.slice(before).filter((l) => l.msg === 'SLO events stored outside the lateness bound were not counted')
    expect(warned).toEqual([expect.objectContaining({ slo: id, events: 4, latenessSeconds: 3600 })])
  })
})
