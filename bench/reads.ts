// npm run bench:reads — what heavy log reads cost the rest of the engine.
//
// 5 million log records over 7 days on the embedded store. A probe stands in
// for an engine tick's read (the last 10 minutes of one service, aggregated,
// as a rollup reads them) and runs every 100 ms; its latency is measured
// (1) alone, (2) while 16 clients search 7 days of logs through the API with
// the reads unbounded (the API before api.reads: every read at once, all
// threads, no time or size limit: the same-run baseline), and (3) the same
// with the default api.reads bounds, and (4) with tighter ones.
// BENCH_ROWS (default 5 million), BENCH_SECONDS (default 15) per phase.

import { cpus } from 'node:os'
import { join } from 'node:path'
import { configSchema, type ApiReadLimits } from '../config/index.ts'
import { migrate, openStorage, otelTables, type Storage } from '../storage/index.ts'
import { allMigrations } from '../cli/index.ts'
import { createApi, createAuthorizer } from '../api/index.ts'
import { createSloCatalog } from '../slo-engine/index.ts'
import { createLogger } from '../instrumentation/index.ts'
import { tempDir } from '../test/support/temp.ts'

const ROWS = Number(process.env.BENCH_ROWS ?? 5_000_000)
const SECONDS = Number(process.env.BENCH_SECONDS ?? 15)
const CLIENTS = 16
const SEARCH = '/api/v1/logs?from=now-7d&severity=fatal&limit=1000'

async function seed(storage: Storage): Promise<void> {
  const spanMs = 7 * 86_400_000
  await storage.command(
    `INSERT INTO otel_logs (Timestamp, ServiceName, SeverityText, SeverityNumber, Body, LogAttributes)
     SELECT fromUnixTimestamp64Milli(toInt64(toUnixTimestamp64Milli(now64(3)) - (number * 7919) % ${spanMs})), concat('svc', toString(number % 20)),
       'INFO', 9, concat('GET /api/orders/', toString(number), ' answered 200 in ', toString(number % 500), ' ms'), map('http.route', '/api/orders/{id}')
     FROM numbers(${ROWS})`,
  )
  await storage.command('OPTIMIZE TABLE otel_logs FINAL')
}

const PROBE = `SELECT ServiceName, count() AS n, countIf(SeverityNumber >= 17) AS bad FROM otel_logs
  WHERE ServiceName = 'svc7' AND TimestampTime >= now() - INTERVAL 10 MINUTE GROUP BY ServiceName`

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN
}

async function phase(storage: Storage, api: ReturnType<typeof createApi> | undefined) {
  const deadline = Date.now() + SECONDS * 1000
  const outcomes = { ok: 0, refused: 0, failed: 0 }
  const clients = api
    ? Array.from({ length: CLIENTS }, async () => {
        while (Date.now() < deadline) {
          const res = await api.request(SEARCH)
          await res.arrayBuffer()
          if (res.status === 200) outcomes.ok++
          else if (res.status === 429) {
            outcomes.refused++
            await new Promise((r) => setTimeout(r, 1000 * Number(res.headers.get('retry-after') ?? 1)))
          } else outcomes.failed++
        }
      })
    : []
  const probes: number[] = []
  while (Date.now() < deadline) {
    const started = performance.now()
    await storage.query(PROBE)
    probes.push(performance.now() - started)
    await new Promise((r) => setTimeout(r, 100))
  }
  await Promise.all(clients)
  return { median: percentile(probes, 50), p95: percentile(probes, 95), max: Math.max(...probes), searches: outcomes }
}

async function main(): Promise<void> {
  const dir = tempDir('cairn-bench-reads-')
  const config = configSchema.parse({ storage: { dataDir: join(dir.path, 'data'), ttlDays: { logs: 0 } } })
  const storage = await openStorage(config.storage)
  try {
    await migrate(storage, allMigrations(config), otelTables(config.storage.ttlDays))
    const seedStart = performance.now()
    await seed(storage)
    process.stdout.write(`seeded ${ROWS.toLocaleString('en')} log records over 7 days in ${((performance.now() - seedStart) / 1000).toFixed(1)} s; ${cpus().length} cores\n`)
    const logger = createLogger('fatal')
    const catalog = createSloCatalog({ storage, sloDir: undefined, logger })
    const apiWith = (reads: ApiReadLimits) => createApi({ storage, logger, auth: createAuthorizer([]), catalog, reads })
    const unbounded: ApiReadLimits = { maxRangeDays: 3650, maxExecutionSeconds: 3600, maxThreads: cpus().length, maxMemoryBytes: 2 ** 40, maxResultBytes: 2 ** 40, maxConcurrent: 10_000 }
    const phases: [string, ReturnType<typeof createApi> | undefined][] = [
      ['probe alone', undefined],
      [`+ ${CLIENTS} log searches, unbounded (baseline)`, apiWith(unbounded)],
      [`+ ${CLIENTS} log searches, api.reads defaults`, apiWith(configSchema.parse({}).api.reads)],
      [`+ ${CLIENTS} log searches, maxThreads 1, maxConcurrent 2`, apiWith({ ...configSchema.parse({}).api.reads, maxThreads: 1, maxConcurrent: 2 })],
    ]
    const rows: string[][] = []
    let alone = 0
    for (const [name, api] of phases) {
      const r = await phase(storage, api)
      if (!api) alone = r.median
      const s = r.searches
      rows.push([name, `${r.median.toFixed(1)} ms`, `${r.p95.toFixed(1)} ms`, `${r.max.toFixed(0)} ms`, `${(r.median / alone).toFixed(1)}×`, api ? `${s.ok} ok, ${s.refused} 429, ${s.failed} other` : '-'])
    }
    const header = ['phase', 'probe median', 'p95', 'max', 'median ÷ alone', 'searches']
    const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)))
    const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join('  ')
    process.stdout.write(`${line(header)}\n${rows.map(line).join('\n')}\n`)
  } finally {
    await storage.close()
    dir.remove()
  }
}

main().catch((err) => {
  process.stderr.write(`${(err as Error).stack}\n`)
  process.exit(1)
})
