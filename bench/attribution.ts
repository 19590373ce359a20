// npm run bench:attribution — the cost of GET /api/v1/slos/{id}/attribution.
//
// One hour of spans (BENCH_ROWS, default 10 million) on the embedded store,
// seeded inside the engine (INSERT … SELECT FROM numbers()): one service,
// 5 routes, 3 versions, 20 pods, 3 regions; 0.5 % errors everywhere and 20 %
// on /pay of version 1.4.2. Timed over the whole hour, BENCH_RUNS times each
// (default 5), in the same run:
//   - baseline: a plain count of the SLO's spans over the same range, with
//     the same read settings (api.reads defaults, run time raised to 300 s);
//   - the attribution through the API, automatic dimensions (three reads:
//     exact counts; the bad spans' attributes; the spans per candidate value,
//     the last two on a sample of blocks above 1 M rows: docs/attribution.md);
//   - the attribution of two named dimensions;
//   - the attribution without sampling (every row read, exact shares);
//   - two ways of reading a 1/16 sample of ResourceAttributes: by block
//     (what attribution does) and by trace id (cityHash64(TraceId) % 16);
//   - then, the hour's whole minutes rolled up as the engine would have, the
//     attribution again (read 1 takes them from the rollups).
// Target: attribution median under 1 s.

import { cpus } from 'node:os'
import { join } from 'node:path'
import { configSchema } from '../config/index.ts'
import { migrate, openStorage, otelTables, type Storage } from '../storage/index.ts'
import { allMigrations } from '../cli/index.ts'
import { createApi, createAuthorizer } from '../api/index.ts'
import { readSettings, telemetryReads } from '../api/reads.ts'
import { attributeBurn, createSloCatalog, type Attribution } from '../slo-engine/index.ts'
import { createLogger } from '../instrumentation/index.ts'
import { tempDir } from '../test/support/temp.ts'
import { seedRollupEdges } from '../test/support/rollup-history.ts'
import { countRange } from '../slo-engine/rollup/compute.ts'
import { rangeSelection } from '../slo-engine/sli/queries.ts'

const ROWS = Number(process.env.BENCH_ROWS ?? 10_000_000)
const RUNS = Number(process.env.BENCH_RUNS ?? 5)
const BATCH = 1_000_000
const HOUR_MS = 3_600_000

const SPEC = `apiVersion: cairn/v1
kind: SLO
metadata: { name: availability, service: checkout }
spec:
  objective: 99.5
  window: 30d
  sli: { spans: { service: checkout, spanKind: Server, bad: error } }
`

async function seed(storage: Storage, endMs: number): Promise<void> {
  for (let start = 0; start < ROWS; start += BATCH) {
    await storage.command(
      `INSERT INTO otel_traces (Timestamp, TraceId, SpanId, SpanName, SpanKind, ServiceName, Duration, StatusCode, SpanAttributes, ResourceAttributes)
       SELECT fromUnixTimestamp64Milli(toInt64(${endMs - 1} - (number * 7919) % ${HOUR_MS})),
         lower(concat(hex(cityHash64(number)), hex(cityHash64(number, 1)))), lower(hex(cityHash64(number, 2))),
         concat('POST ', route), 'Server', 'checkout', 1000000 + number % 50000000,
         if((route = '/pay' AND version = '1.4.2' AND h % 100 < 20) OR h % 1000 < 5, 'Error', 'Ok'),
         map('http.route', route, 'http.request.method', 'POST'),
         map('service.name', 'checkout', 'service.version', version, 'k8s.pod.name', concat('pod-', toString(cityHash64(number, 4) % 20)), 'cloud.region', ['eu-west-1', 'us-east-1', 'ap-south-1'][cityHash64(number, 5) % 3 + 1])
       FROM (SELECT number, cityHash64(number, 3) AS h,
               ['/pay', '/cart', '/search', '/login', '/orders'][number % 5 + 1] AS route,
               ['1.4.1', '1.4.2', '1.4.0'][cityHash64(number, 6) % 3 + 1] AS version
             FROM numbers(${start}, ${Math.min(BATCH, ROWS - start)}))`,
    )
  }
  await storage.command('OPTIMIZE TABLE otel_traces FINAL')
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!

async function time(run: () => Promise<void>): Promise<number> {
  const started = performance.now()
  await run()
  return performance.now() - started
}

async function main(): Promise<void> {
  const dir = tempDir('cairn-bench-attribution-')
  const config = configSchema.parse({ storage: { dataDir: join(dir.path, 'data'), ttlDays: { traces: 0 } } })
  const storage = await openStorage(config.storage)
  try {
    await migrate(storage, allMigrations(config), otelTables(config.storage.ttlDays))
    const endMs = Math.floor(Date.now() / 1000) * 1000
    const fromMs = endMs - HOUR_MS
    const seedStart = performance.now()
    await seed(storage, endMs)
    process.stdout.write(`seeded ${ROWS.toLocaleString('en')} spans over one hour in ${((performance.now() - seedStart) / 1000).toFixed(1)} s; ${cpus().length} cores; ${RUNS} runs each\n`)

    const logger = createLogger('fatal')
    const catalog = createSloCatalog({ storage, sloDir: undefined, logger })
    const put = await catalog.putFromApi('checkout-availability', SPEC)
    if (put.errors.length > 0) throw new Error(JSON.stringify(put.errors))
    // api.reads defaults but for the run time: on a loaded machine a 10 M-span hour may take longer than the default 10 s.
    const reads = { ...configSchema.parse({}).api.reads, maxExecutionSeconds: 300 }
    const api = createApi({ storage, logger, auth: createAuthorizer([]), catalog, reads })
    const settings = readSettings(reads)
    const range = `from=${fromMs / 1000}&to=${endMs / 1000}`
    let answer: any
    const request = (query: string) => async () => {
      const res = await api.request(`/api/v1/slos/checkout-availability/attribution?${range}${query}`)
      answer = await res.json()
      if (res.status !== 200) throw new Error(`attribution answered ${res.status}: ${JSON.stringify(answer)}`)
    }
    const slo = (await catalog.get('checkout-availability'))!
    const reader = telemetryReads(storage, reads)
    let exact: Attribution | undefined
    const inRange = `Timestamp >= fromUnixTimestamp64Milli(${fromMs}) AND Timestamp < fromUnixTimestamp64Milli(${endMs})`
    const cases: [string, () => Promise<void>][] = [
      ['plain count of the range (baseline)', async () => {
        await storage.query(`SELECT count() FROM otel_traces WHERE ServiceName = 'checkout' AND ${inRange}`, {}, settings)
      }],
      ['attribution, automatic dimensions', request('')],
      ['attribution, dimensions=http.route,service.version', request('&dimensions=http.route,service.version')],
      // Every row, and no time budget: the read runs to its end.
      ['attribution, automatic, no sample (every row)', async () => {
        exact = await attributeBurn(slo, { range: { fromMs, toMs: endMs }, maxRowsPerRead: Infinity }, (sql, params) => reader.query(sql, params))
      }],
      ['ResourceAttributes of 1/16 of the blocks', async () => {
        await storage.query(`SELECT sum(length(ResourceAttributes)) FROM otel_traces PREWHERE (cityHash64(_part) + intDiv(_part_offset, 8192)) % 16 = 0 WHERE ${inRange}`, {}, settings)
      }],
      ['ResourceAttributes of 1/16 of the traces', async () => {
        await storage.query(`SELECT sum(length(ResourceAttributes)) FROM otel_traces WHERE cityHash64(TraceId) % 16 = 0 AND ${inRange}`, {}, settings)
      }],
    ]
    const results: [string, number][] = []
    const measure = async (list: [string, () => Promise<void>][]) => {
      for (const [name, run] of list) {
        await run() // warm-up
        const times: number[] = []
        for (let i = 0; i < RUNS; i++) times.push(await time(run))
        results.push([name, median(times)])
      }
    }
    await measure(cases)
    const auto = (await (await api.request(`/api/v1/slos/checkout-availability/attribution?${range}`)).json()) as any
    // As with the engine running: the hour's whole minutes rolled up (the engine's own minute counts), read 1 counts only the rest raw.
    const first = Math.ceil(fromMs / 60_000) * 60
    const last = Math.floor(endMs / 60_000) * 60
    const { counts } = await countRange(storage, [slo], rangeSelection({ fromSeconds: first, toSeconds: last }))
    const inner = [...(counts.get(slo.id)?.values() ?? [])].reduce((a, m) => ({ good: a.good + m.good, total: a.total + m.total }), { good: 0, total: 0 })
    const iso = (seconds: number) => new Date(seconds * 1000).toISOString()
    await seedRollupEdges(storage, slo, { epoch: iso(first), computedTo: iso(last) }, [{ at: iso(last - 60), ...inner }])
    await measure([
      ['attribution, automatic, the hour rolled up', request('')],
      ['attribution, named, the hour rolled up', request('&dimensions=http.route,service.version')],
    ])
    const base = results[0]![1]
    for (const [name, ms] of results) process.stdout.write(`${name.padEnd(52)} median ${ms.toFixed(0).padStart(6)} ms  ${(ms / base).toFixed(1).padStart(6)}× baseline\n`)
    const found = (a: any) => a.dimensions.map((d: any) => `${d.key} (concentration ${d.concentration.toFixed(3)}; top ${d.values[0]?.value} ${(100 * d.values[0]?.budgetShare).toFixed(1)} %, ${d.values[0]?.bad}/${d.values[0]?.total})`).join(', ')
    process.stdout.write(`sampled: ${JSON.stringify(auto.sampling)}\nfound (sampled): ${found(auto)}\nfound (every row): ${found(exact)}\n`)
  } finally {
    await storage.close()
    dir.remove()
  }
}

main().catch((err) => {
  process.stderr.write(`${(err as Error).stack}\n`)
  process.exit(1)
})
