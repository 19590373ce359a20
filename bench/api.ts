// npm run bench:api — latency of the API under a fixed request rate on loopback.
//
// 100 SLOs (spans SLIs, file-defined), 30 days of one-minute evaluations each
// (4.32 M rows), alert state for every SLO. The API runs in this process on
// the embedded store; autocannon runs in a child process at a fixed overall
// rate (-R), so the two do not share an event loop. Baseline in the same run:
// GET /healthz at the same rate (Hono + Node's HTTP server, no storage).

import { spawn } from 'node:child_process'
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { Hono } from 'hono'
import { configSchema } from '../config/index.ts'
import { migrate, openStorage, otelTables, type Storage } from '../storage/index.ts'
import { allMigrations } from '../cli/index.ts'
import { attachApi, createAuthorizer, healthRoutes, listen } from '../api/index.ts'
import { createSloCatalog, ENGINE_TABLES } from '../slo-engine/index.ts'
import { createLogger, createMetricsRegistry } from '../instrumentation/index.ts'
import { tempDir } from '../test/support/temp.ts'

const SLO_COUNT = 100
const DAYS = 30
const DURATION_SECONDS = Number(process.env.BENCH_SECONDS ?? 20)
const AUTOCANNON = fileURLToPath(new URL('../node_modules/.bin/autocannon', import.meta.url))

const sloYaml = (i: number) => `apiVersion: cairn/v1
kind: SLO
metadata: { name: slo${i}, service: svc${i % 10} }
spec:
  objective: 99.9
  window: 30d
  sli: { spans: { service: svc${i % 10}, bad: error } }
`

async function seed(storage: Storage, sloDir: string): Promise<void> {
  mkdirSync(sloDir, { recursive: true })
  writeFileSync(join(sloDir, 'slos.yaml'), Array.from({ length: SLO_COUNT }, (_, i) => sloYaml(i)).join('---\n'))
  const { errors } = await createSloCatalog({ storage, sloDir, logger: createLogger('silent') }).syncFiles()
  if (errors.length > 0) throw new Error(`bench SLOs invalid: ${JSON.stringify(errors)}`)
  const minutes = DAYS * 1440
  const columns = `concat('svc', toString(s % 10), '-slo', toString(s)) AS slo_id, toDateTime64(now() - (${minutes} - m) * 60, 3) AS evaluated_at, 'ok' AS status, 0.999 AS objective,
    0.9995 - (s % 7) / 10000 AS sli, 1e6 + m AS events_total, 500 + m / 100 AS events_bad, 1000 + m / 1000 AS budget_total, 500 + m / 100 AS budget_consumed,
    0.5 - m / 1e6 - s / 1000 AS budget_remaining,
    map('5m', 0.5, '30m', 0.6, '1h', 0.7, '2h', 0.8, '6h', 0.9, '1d', 1.0, '3d', 1.1, 'window', 0.5) AS burn_rates`
  await storage.command(`INSERT INTO ${ENGINE_TABLES.evaluations} (slo_id, evaluated_at, status, objective, sli, events_total, events_bad, budget_total, budget_consumed, budget_remaining, burn_rates) SELECT ${columns} FROM (SELECT number % ${SLO_COUNT} AS s, intDiv(number, ${SLO_COUNT}) AS m FROM numbers(${SLO_COUNT * minutes}))`)
  await storage.command(`INSERT INTO ${ENGINE_TABLES.status} (slo_id, evaluated_at, status, objective, sli, events_total, events_bad, budget_total, budget_consumed, budget_remaining, burn_rates) SELECT ${columns} FROM (SELECT number AS s, ${minutes} AS m FROM numbers(${SLO_COUNT}))`)
  await storage.command(
    `INSERT INTO cairn_alert_state (slo_id, severity, state, updated_at) SELECT concat('svc', toString(number % 10), '-slo', toString(number)), arrayJoin(['page', 'ticket']), 'inactive', now64(3) FROM numbers(${SLO_COUNT})`,
  )
}

interface Result {
  p50: number
  p99: number
  mean: number
  requests: number
  non2xx: number
  errors: number
}

function autocannon(url: string, rate: number): Promise<Result> {
  return new Promise((resolve, reject) => {
    const child = spawn(AUTOCANNON, ['-j', '-c', '20', '-R', String(rate), '-d', String(DURATION_SECONDS), url], { stdio: ['ignore', 'pipe', 'pipe'] })
    let out = ''
    child.stdout.on('data', (d) => (out += d))
    child.on('error', reject)
    child.on('close', (code) => {
      if (code !== 0) return reject(new Error(`autocannon exited ${code}`))
      const r = JSON.parse(out) as { latency: { p50: number; p99: number; mean: number }; requests: { total: number }; non2xx: number; errors: number }
      resolve({ p50: r.latency.p50, p99: r.latency.p99, mean: r.latency.mean, requests: r.requests.total, non2xx: r.non2xx, errors: r.errors })
    })
  })
}

async function main(): Promise<void> {
  const dir = tempDir('cairn-bench-api-')
  const config = configSchema.parse({ storage: { dataDir: join(dir.path, 'data') } })
  const storage = await openStorage(config.storage)
  const servers: Array<{ close(): Promise<void> }> = []
  try {
    await migrate(storage, allMigrations(config), otelTables(config.storage.ttlDays))
    const seedStart = performance.now()
    await seed(storage, join(dir.path, 'slos'))
    // Merge the inserted parts now, so background merges do not run during the measurements.
    await storage.command(`OPTIMIZE TABLE ${ENGINE_TABLES.evaluations} FINAL`)
    const [count] = await storage.query<{ n: string }>(`SELECT count() AS n FROM ${ENGINE_TABLES.evaluations}`)
    const n = count!.n
    process.stdout.write(`seeded ${SLO_COUNT} SLOs, ${Number(n).toLocaleString('en')} evaluations (${DAYS} days) in ${((performance.now() - seedStart) / 1000).toFixed(1)} s\n`)

    const logger = createLogger('fatal')
    const catalog = createSloCatalog({ storage, sloDir: undefined, logger })
    const serve = async (statusCacheMs: number) => {
      const app = new Hono()
      app.route('/', healthRoutes({ check: async () => undefined }, createMetricsRegistry()))
      attachApi(app, { storage, logger, auth: createAuthorizer([]), catalog, statusCacheMs })
      const server = await listen(app, '127.0.0.1', 0)
      servers.push(server)
      return `http://127.0.0.1:${server.port}`
    }
    const cached = await serve(configSchema.parse({}).api.statusCacheMs)
    const uncached = await serve(0)
    // A TTL longer than the run: the list is read once, so this row shows what the periodic refresh costs the tail.
    const readOnce = await serve(3_600_000)
    const history = '/api/v1/slos/svc3-slo13/history?from=now-7d'
    const check = (await (await fetch(`${cached}${history}`)).json()) as { evaluations: unknown[]; stepSeconds: number }
    process.stdout.write(`7-day history: ${check.evaluations.length} points at a ${check.stepSeconds} s step\n\n`)

    const only = process.env.BENCH_ONLY
    const all: Array<[string, string, number]> = [
      ['GET /healthz (baseline)', `${cached}/healthz`, 500],
      ['GET /api/v1/slos (status cache 2 s, default)', `${cached}/api/v1/slos`, 500],
      ['GET /api/v1/slos (cache, no refresh in the run)', `${readOnce}/api/v1/slos`, 500],
      ['GET /api/v1/slos (no cache)', `${uncached}/api/v1/slos`, 500],
      ['GET /api/v1/slos/{id}/history 7 days', `${cached}${history}`, 100],
      ['GET /api/v1/slos/{id}/history 7 days', `${cached}${history}`, 500],
    ]
    const scenarios = all.filter(([name]) => !only || name.includes('baseline') || name.includes(only))
    const rows: string[][] = []
    let baselineP99 = 0
    for (const [name, url, rate] of scenarios) {
      await autocannon(url, rate).catch(() => undefined) // warm-up run discarded
      const r = await autocannon(url, rate)
      if (name.includes('baseline')) baselineP99 = r.p99
      rows.push([name, `${rate}/s`, `${r.p50} ms`, `${r.p99} ms`, `${(r.p99 / Math.max(baselineP99, 1)).toFixed(1)}×`, `${(r.requests / DURATION_SECONDS).toFixed(0)}/s`, String(r.non2xx + r.errors)])
    }
    const header = ['scenario', 'rate', 'p50', 'p99', 'p99 ÷ baseline', 'served', 'errors']
    const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)))
    const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join('  ')
    process.stdout.write(`${line(header)}\n${rows.map(line).join('\n')}\n\ntarget: GET /api/v1/slos p99 < 20 ms at 500 req/s\n`)
  } finally {
    for (const s of servers) await s.close()
    await storage.close()
    dir.remove()
  }
}

main().catch((err) => {
  process.stderr.write(`${(err as Error).stack}\n`)
  process.exit(1)
})
