// npm run bench:engine — time of one SLO evaluation tick for 10, 100 and 1,000
// SLOs over 30 days of minute rollups, and for 30-day versus 90-day windows.
// Each tick is the engine's real tick (catalog sync from files, rollup of the
// trailing lookback from raw spans, evaluation, history write); the rollups of
// the past are generated in bulk first, as if the engine had run for the whole
// window, then restarted (a fresh engine, ClickHouse caches dropped) for one
// more tick: the first tick after a restart. Baseline, measured in the same run: one query summing each SLO's
// SLO window from its per-minute rows (what reading a window would cost
// without running sums; it reads every minute of the window).
//
// Then ticks under sustained ingest (bench/engine-sustained.ts): spans keep
// arriving at each rate of BENCH_SUSTAINED, against the 10-minute re-read of
// raw spans every tick did before the ingest watermark (same run, same rows).
//
//   BENCH_TICKS=5 BENCH_RESTARTS=3 BENCH_SPANS_PER_MINUTE=20000 BENCH_SIZES=10,100,1000 npm run bench:engine
//   BENCH_SIZES= BENCH_SUSTAINED=20000,100000 BENCH_SUSTAINED_MINUTES=12 BENCH_SUSTAINED_SLOS=100 npm run bench:engine
//   (an empty BENCH_SIZES or BENCH_SUSTAINED skips that part)
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { cpus, loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { Registry } from 'prom-client'
import { configSchema } from '../config/index.ts'
import { createLogger } from '../instrumentation/index.ts'
import { migrate, openStorage, otelMigrations, type Storage } from '../storage/index.ts'
import { createEngine, createSloCatalog, engineMigrations, ENGINE_TABLES, type Slo } from '../slo-engine/index.ts'
import { seedRollupHistory } from '../test/support/rollup-history.ts'
import { sustainedIngest } from './engine-sustained.ts'

const TICKS = Number(process.env.BENCH_TICKS ?? 5)
const SPANS_PER_MINUTE = Number(process.env.BENCH_SPANS_PER_MINUTE ?? 20_000)
/** Restarts per scenario: the first tick after a restart is one sample each, so several, alternating between scenarios, and their median. */
const RESTARTS = Number(process.env.BENCH_RESTARTS ?? 3)
const list = (text: string) => text.split(',').filter((x) => x.trim() !== '').map(Number)
const SIZES = list(process.env.BENCH_SIZES ?? '10,100,1000')
const SUSTAINED_RATES = list(process.env.BENCH_SUSTAINED ?? '20000,100000')
const SUSTAINED_MINUTES = Number(process.env.BENCH_SUSTAINED_MINUTES ?? 12)
const SUSTAINED_SLOS = Number(process.env.BENCH_SUSTAINED_SLOS ?? 100)
const SERVICES = 200
const RAW_MINUTES = 15
const DAY = 86400

const root = mkdtempSync(join(tmpdir(), 'cairn-bench-engine-'))
const logger = createLogger((process.env.BENCH_LOG_LEVEL ?? 'silent') as 'silent')
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!
const ms = (x: number) => `${x.toFixed(0)} ms`
const count = async (storage: Storage, sql: string, params?: Record<string, unknown>) => Number((await storage.query<{ n: string }>(sql, params))[0]!.n)

/** SLOs per spec file: a file stays within the spec limits (256 KiB, 10,000 YAML nodes). */
const SLOS_PER_FILE = 200

/** Writes `n` span SLOs named `${tag}-${i}` into `dir`, in files of SLOS_PER_FILE. */
function writeSloFiles(dir: string, n: number, windowDays: number, tag: string, servicePrefix = 'svc'): void {
  const docs = sloDocs(n, windowDays, tag, servicePrefix)
  for (let f = 0; f * SLOS_PER_FILE < n; f++) writeFileSync(join(dir, `${tag}-${f}.yaml`), docs.slice(f * SLOS_PER_FILE, (f + 1) * SLOS_PER_FILE).join('---\n'))
}

/** Syncs the SLO files into the catalog, failing on any spec error (a bench over missing SLOs measures nothing). */
async function syncOrFail(catalog: ReturnType<typeof createSloCatalog>): Promise<void> {
  const { errors } = await catalog.syncFiles()
  if (errors.length > 0) throw new Error(`SLO spec errors: ${JSON.stringify(errors.slice(0, 3))}`)
}

function sloDocs(n: number, windowDays: number, tag: string, servicePrefix: string): string[] {
  return Array.from({ length: n }, (_, i) => {
    const svc = `${servicePrefix}${i % SERVICES}`
    const bad = i % 2 === 0 ? 'error' : `{ latency: { threshold: ${100 + (i % 5) * 100}ms } }`
    return `apiVersion: cairn/v1
kind: SLO
metadata: { name: ${tag}-${i}, service: ${svc} }
spec:
  objective: 99.9
  window: ${windowDays}d
  sli: { spans: { service: ${svc}, spanName: { re: "GET /items.*" }, attributes: { http.route: /r${i % 5} }, bad: ${bad} } }
`
  })
}

interface Scenario {
  tag: string
  slos: number
  windowDays: number
  ids: string[]
  rollupRows: number
  engine: ReturnType<typeof createEngine>
  newEngine: () => ReturnType<typeof createEngine>
  tickMs: number[]
  baselineMs: number[]
  /** First ticks of fresh engines (empty memory, dropped ClickHouse caches) over the same store. */
  restartMs: number[]
}

/** Waits until ClickHouse has finished merging what the seeding wrote, so merges do not run during the timed ticks. */
async function settle(storage: Storage): Promise<void> {
  for (let i = 0; i < 600; i++) {
    if ((await count(storage, "SELECT count() AS n FROM system.merges WHERE database = currentDatabase() AND table = {t:String}", { t: ENGINE_TABLES.rollups })) === 0) return
    await new Promise((r) => setTimeout(r, 1000))
  }
}

async function tickOnce(storage: Storage, s: Scenario, nowSeconds: number): Promise<void> {
  let started = performance.now()
  await s.engine.tick(new Date(nowSeconds * 1000))
  s.tickMs.push(performance.now() - started)
  console.log(`  ${s.tag}: tick ${s.tickMs.length}/${TICKS} ${ms(s.tickMs.at(-1)!)}`)
  started = performance.now()
  await storage.query(
    `SELECT slo_id, sum(good) AS good, sum(total) AS total FROM ${ENGINE_TABLES.rollups}
     WHERE minute >= toDateTime({from:UInt32}) AND slo_id IN {ids:Array(String)} GROUP BY slo_id`,
    { ids: s.ids, from: nowSeconds - s.windowDays * DAY },
  )
  s.baselineMs.push(performance.now() - started)
}

async function main(): Promise<void> {
  const storage = await openStorage(configSchema.parse({ storage: { dataDir: join(root, 'data'), ttlDays: { traces: 0, logs: 0, metrics: 0 } } }).storage)
  try {
    await migrate(storage, [...otelMigrations({ traces: 0, logs: 0, metrics: 0 }), ...engineMigrations])
    const nowSeconds = Math.floor(Date.now() / 60_000) * 60
    if (SIZES.length > 0) await windowScenarios(storage, nowSeconds)
    if (SUSTAINED_RATES.length > 0) {
      // A day after the window scenarios, so that the re-read baseline reads only the sustained spans.
      await sustainedIngest({ root, storage, rates: SUSTAINED_RATES, minutes: SUSTAINED_MINUTES, slos: SUSTAINED_SLOS, startSeconds: nowSeconds + 86400, writeSloFiles, syncOrFail })
    }
    console.log(`load average during the run: ${loadavg().map((x) => x.toFixed(1)).join(' ')} on ${cpus().length} cores`)
  } finally {
    await storage.close()
    rmSync(root, { recursive: true, force: true })
  }
}

/** Ticks with 30 or 90 days of rollups in place, then restarts (the figures of docs/slo-engine.md, "Start, restart and backfills"). */
async function windowScenarios(storage: Storage, nowSeconds: number): Promise<void> {
  {
    // Raw spans for the lookback the ticks roll up: SERVICES services × 5 routes, 2% errors, from 15 minutes
    // before the first tick to the last one (restarts included), so every tick's lookback holds as many.
    const rawMinutes = RAW_MINUTES + TICKS + RESTARTS
    await storage.command(
      `INSERT INTO otel_traces (Timestamp, TraceId, SpanId, ServiceName, SpanName, SpanKind, StatusCode, Duration, SpanAttributes)
       SELECT toDateTime64({from:UInt32}, 9) + toIntervalMillisecond(intDiv(number * 60000, {per:UInt32})), toString(number), toString(number),
         concat('svc', toString(number % {services:UInt32})), concat('GET /items/', toString(number % 3)), 'Server',
         if(number % 50 = 0, 'Error', 'Ok'), (number % 600) * 1000000, map('http.route', concat('/r', toString(intDiv(number, {services:UInt32}) % 5)))
       FROM numbers({rows:UInt64})`,
      { from: nowSeconds - RAW_MINUTES * 60, per: SPANS_PER_MINUTE, services: SERVICES, rows: SPANS_PER_MINUTE * rawMinutes },
    )
    const rawRows = await count(storage, 'SELECT count() AS n FROM otel_traces')
    console.log(`cairn SLO engine tick benchmark — ${TICKS} ticks each, then ${RESTARTS} restarts; raw spans: ${rawRows.toLocaleString('en')} over ${rawMinutes} minutes (${SPANS_PER_MINUTE.toLocaleString('en')}/min, ${SERVICES} services)`)
    console.log('')
    // Every scenario's SLOs live in one SLO directory; each engine evaluates its own (a filtered view of the one catalog).
    const sloDir = join(root, 'slos')
    mkdirSync(sloDir)
    const plans = [...SIZES.map((n) => ({ n, days: 30 })), { n: SIZES[SIZES.length - 1]!, days: 90 }]
    for (const p of plans) writeSloFiles(sloDir, p.n, p.days, `b${p.n}w${p.days}`)
    const catalog = createSloCatalog({ storage, sloDir, logger })
    await syncOrFail(catalog)
    const all = await catalog.list()
    const config = configSchema.parse({ engine: { sloDir } }).engine
    const scenarios: Scenario[] = []
    for (const p of plans) {
      const tag = `b${p.n}w${p.days}`
      const slos = all.filter((s) => s.name.startsWith(`${tag}-`))
      const seedStarted = performance.now()
      const rollupRows = await seedRollupHistory(storage, slos, nowSeconds - 60, p.days, (day) => {
        if (day % 10 === 0 || day === p.days) console.log(`  seeding ${tag}: ${day}/${p.days} days, ${(day * p.n * 1440).toLocaleString('en')} rollup rows, ${((performance.now() - seedStarted) / 1000).toFixed(0)} s`)
      })
      const view = { ...catalog, list: async () => (await catalog.list()).filter((s) => s.name.startsWith(`${tag}-`)) }
      // Engines of different scenarios share the rollup table: none may drop the months another one reads.
      const newEngine = () => createEngine({ config, storage, logger, registry: new Registry(), catalog: view, pruneRollups: false })
      scenarios.push({ tag, slos: p.n, windowDays: p.days, ids: slos.map((s) => s.id), rollupRows, engine: newEngine(), newEngine, tickMs: [], baselineMs: [], restartMs: [] })
    }
    console.log('  waiting for ClickHouse to finish merging the seeded rows')
    await settle(storage)
    const largest = scenarios.filter((s) => s.slos === SIZES[SIZES.length - 1]!)
    // Sizes one after the other; the 30-day and 90-day runs of the largest size alternate tick by tick, so load from
    // other processes on this shared machine falls on both alike.
    for (const s of scenarios.filter((x) => !largest.includes(x))) for (let t = 0; t < TICKS; t++) await tickOnce(storage, s, nowSeconds + t * 60)
    for (let t = 0; t < TICKS; t++) for (const s of largest) await tickOnce(storage, s, nowSeconds + t * 60)
    // Restart: a fresh engine per scenario (nothing in memory) after ClickHouse dropped its caches, one tick later.
    for (let r = 0; r < RESTARTS; r++) {
      for (const s of scenarios) {
        for (const cache of ['MARK CACHE', 'UNCOMPRESSED CACHE', 'QUERY CACHE']) await storage.command(`SYSTEM DROP ${cache}`).catch(() => undefined)
        s.engine = s.newEngine()
        const started = performance.now()
        await s.engine.tick(new Date((nowSeconds + (TICKS + r) * 60) * 1000))
        s.restartMs.push(performance.now() - started)
        console.log(`  ${s.tag}: first tick after restart ${r + 1}/${RESTARTS} ${ms(s.restartMs.at(-1)!)}`)
      }
    }
    for (const s of scenarios) {
      const evaluations = await count(storage, `SELECT count() AS n FROM ${ENGINE_TABLES.evaluations} WHERE slo_id IN {ids:Array(String)}`, { ids: s.ids })
      if (evaluations !== s.slos * (TICKS + RESTARTS)) throw new Error(`${s.tag}: expected ${s.slos * (TICKS + RESTARTS)} evaluations, found ${evaluations}`)
    }
    console.log('')
    console.log(['SLOs', 'window', 'rollup rows', 'first tick after restart (median)', 'tick (median)', 'tick (max)', 'restart ÷ median', 'baseline: sum the window per minute', 'tick ÷ baseline'].join('  '))
    for (const s of scenarios) {
      const tick = median(s.tickMs)
      const base = median(s.baselineMs)
      console.log(
        [String(s.slos).padStart(4), `${s.windowDays}d`.padStart(6), s.rollupRows.toLocaleString('en').padStart(11), ms(median(s.restartMs)).padStart(33), ms(tick).padStart(13), ms(Math.max(...s.tickMs)).padStart(10), (median(s.restartMs) / tick).toFixed(2).padStart(16), ms(base).padStart(35), (tick / base).toFixed(2).padStart(15)].join('  '),
      )
    }
    const [thirty, ninety] = largest as [Scenario, Scenario]
    const pct = (a: number, b: number) => `${((a / b - 1) * 100).toFixed(0)}%`
    console.log('')
    console.log(`90-day vs 30-day window, ${thirty.slos} SLOs: median tick ${ms(median(ninety.tickMs))} vs ${ms(median(thirty.tickMs))} (${pct(median(ninety.tickMs), median(thirty.tickMs))}); first tick after restart ${ms(median(ninety.restartMs))} vs ${ms(median(thirty.restartMs))} (${pct(median(ninety.restartMs), median(thirty.restartMs))}; target within 20%)`)
    console.log(`first tick after restart ≤ 5× the median tick, ${ninety.slos} SLOs over 90 days: ${(median(ninety.restartMs) / median(ninety.tickMs)).toFixed(2)}× (${median(ninety.restartMs) <= 5 * median(ninety.tickMs) ? 'met' : 'MISSED'})`)
    console.log(`target ≤ 2000 ms per tick for ${thirty.slos} SLOs: ${Math.max(median(thirty.tickMs), median(ninety.tickMs)) <= 2000 ? 'met' : 'MISSED'}`)
  }
}

await main()
