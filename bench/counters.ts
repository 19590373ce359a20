// npm run bench:counters — what a tick's counter rollup costs: the counters
// statement over a 10-minute range, for SERIES cumulative series of one metric
// scraped every 15 s for the last two days and an hour (the points the
// statement may read: the prefetch hour and the two-day lookbehind for series
// silent longer than that). Baseline, same run, same rows: the statement
// without the lookbehind (the hour's prefetch only), as before it existed.
//
//   BENCH_RUNS=7 BENCH_SERIES=1000 npm run bench:counters
import { mkdtempSync, rmSync } from 'node:fs'
import { loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { configSchema } from '../config/index.ts'
import { migrate, openStorage, otelMigrations } from '../storage/index.ts'
import { planRollups } from '../slo-engine/sli/plan.ts'
import { COUNTER_LOOKBEHIND_SECONDS, COUNTER_PREFETCH_SECONDS, countersStatement } from '../slo-engine/sli/queries.ts'
import type { Slo } from '../slo-engine/index.ts'

const RUNS = Number(process.env.BENCH_RUNS ?? 7)
const SERIES = Number(process.env.BENCH_SERIES ?? 1000)
const STEP = 15
const root = mkdtempSync(join(tmpdir(), 'cairn-bench-counters-'))
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!

const slo = {
  id: 'api-availability',
  sli: { kind: 'metrics', total: { metric: 'http_requests_total', service: { op: 'eq', value: 'api' }, attributes: [] }, bad: { metric: 'http_requests_total', service: { op: 'eq', value: 'api' }, attributes: [{ key: 'code', op: 're', value: '5..' }] } },
} as unknown as Slo

async function main(): Promise<void> {
  const storage = await openStorage(configSchema.parse({ storage: { dataDir: join(root, 'data'), ttlDays: { traces: 0, logs: 0, metrics: 0 } } }).storage)
  try {
    await migrate(storage, otelMigrations({ traces: 0, logs: 0, metrics: 0 }))
    const now = Math.floor(Date.now() / 60_000) * 60
    const span = COUNTER_PREFETCH_SECONDS + COUNTER_LOOKBEHIND_SECONDS + 600
    const points = Math.floor(span / STEP)
    await storage.command(
      `INSERT INTO otel_metrics_sum (ServiceName, MetricName, Attributes, StartTimeUnix, TimeUnix, Value, Flags, AggregationTemporality, IsMonotonic)
       SELECT 'api', 'http_requests_total', map('code', if(s % 10 = 0, '500', '200'), 'pod', toString(s)), toDateTime64({start:UInt32}, 9),
         toDateTime64({start:UInt32} + p * ${STEP}, 9), p * 3, 0, 2, true
       FROM (SELECT number % {series:UInt32} AS s, intDiv(number, {series:UInt32}) AS p FROM numbers({rows:UInt64}))`,
      { start: now - span, series: SERIES, rows: SERIES * points },
    )
    const plan = planRollups([slo])
    const range = { fromSeconds: now - 600, toSeconds: now }
    const s = countersStatement(plan.sums, [...plan.sumMetricNames], range)
    const withoutLookbehind = { ...s.params, lookbehind_from: s.params.prefetch_from }
    const time = async (params: typeof s.params) => {
      const t = performance.now()
      const rows = await storage.query<{ increase: number }>(s.sql, params)
      return { ms: performance.now() - t, sum: rows.reduce((a, r) => a + Number(r.increase), 0) }
    }
    const withL: number[] = []
    const without: number[] = []
    let sums: [number, number] = [0, 0]
    for (let i = 0; i < RUNS; i++) {
      const a = await time(s.params)
      const b = await time(withoutLookbehind)
      withL.push(a.ms)
      without.push(b.ms)
      sums = [a.sum, b.sum]
    }
    console.log(`${SERIES} series × ${points} points (${(SERIES * points).toLocaleString('en')} rows), 10-minute range, ${RUNS} runs, load ${loadavg()[0]!.toFixed(1)}`)
    console.log(`counters statement with the 2-day lookbehind: median ${median(withL).toFixed(0)} ms (max ${Math.max(...withL).toFixed(0)})`)
    console.log(`baseline, prefetch hour only:                 median ${median(without).toFixed(0)} ms (max ${Math.max(...without).toFixed(0)})`)
    console.log(`ratio ${(median(withL) / median(without)).toFixed(2)}; increases counted: ${sums[0]} vs ${sums[1]} (equal: no series had a gap)`)
  } finally {
    await storage.close()
    rmSync(root, { recursive: true, force: true })
  }
}

await main()
