// npm run bench:alerts — what alerting adds to an evaluation tick, and rule
// generation, each beside a baseline measured in the same run:
//  - rules: generatePrometheusRules for 1,000 Sloth SLOs vs parsing their specs;
//  - paging: alerter.onEvaluated for 1,000 SLOs in a quiet tick, and in a tick
//    where all of them fire (state rows written to the embedded ClickHouse,
//    notices queued to a local Alertmanager API), vs writing 1,000 evaluation-
//    sized rows to ClickHouse in one insert (what the engine itself does per tick).
import { createServer } from 'node:http'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { alertsMigrations, createAlerter, generatePrometheusRules } from '../alerts/index.ts'
import { configSchema } from '../config/index.ts'
import { createLogger, createMetricsRegistry } from '../instrumentation/index.ts'
import { parseSloDocuments, type Slo, type SloEvaluation } from '../slo-engine/index.ts'
import { createTablesMigration, migrate, openStorage } from '../storage/index.ts'

const N = 1000
const RUNS = 5

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b)
  return s[Math.floor(s.length / 2)]!
}

async function time(fn: () => unknown | Promise<unknown>): Promise<number> {
  const start = process.hrtime.bigint()
  await fn()
  return Number(process.hrtime.bigint() - start) / 1e6
}

async function measure(fn: () => unknown | Promise<unknown>, runs = RUNS): Promise<number> {
  const times: number[] = []
  for (let i = 0; i < runs; i++) times.push(await time(fn))
  return median(times)
}

const row = (name: string, ms: number, baseline: number) => console.log(`${name.padEnd(58)} ${ms.toFixed(1).padStart(9)} ms   ×${(ms / baseline).toFixed(2)} of baseline`)

// ---- rules
const slothSpec = Array.from({ length: N / 10 }, (_, s) => `version: prometheus/v1
service: svc${s}
labels: { team: t${s % 7} }
slos:
${Array.from({ length: 10 }, (_, i) => `  - name: slo${i}
    objective: 99.${i}
    sli:
      events:
        error_query: sum(rate(http_requests_total{job="svc${s}",code=~"5.."}[{{.window}}]))
        total_query: sum(rate(http_requests_total{job="svc${s}"}[{{.window}}]))
    alerting: { name: Svc${s}Slo${i}Burn, page_alert: { labels: { tier: "1" } } }`).join('\n')}
`).join('---\n')

const parseMs = await measure(() => parseSloDocuments(slothSpec, 'bench.yaml'))
const { slos: slothSlos, errors } = parseSloDocuments(slothSpec, 'bench.yaml')
if (errors.length > 0 || slothSlos.length !== N) throw new Error(`bench specs: ${slothSlos.length} SLOs, ${errors.length} errors`)
const rulesMs = await measure(() => generatePrometheusRules(slothSlos))
const bytes = generatePrometheusRules(slothSlos).length
console.log(`rule generation, ${N} Sloth SLOs (${(bytes / 1e6).toFixed(1)} MB of YAML), median of ${RUNS}`)
row('baseline: parse the specs (parseSloDocuments)', parseMs, parseMs)
row('generatePrometheusRules', rulesMs, parseMs)

// ---- paging
const dir = mkdtempSync(join(tmpdir(), 'cairn-bench-alerts-'))
const am = createServer((req, res) => {
  req.resume()
  req.on('end', () => res.writeHead(200).end())
})
await new Promise<void>((r) => am.listen(0, '127.0.0.1', r))
const amUrl = `http://127.0.0.1:${(am.address() as { port: number }).port}`
const storage = await openStorage(configSchema.parse({ storage: { dataDir: join(dir, 'data') } }).storage)
const baselineTable = createTablesMigration('bench/001', 'baseline', () => [
  { name: 'bench_rows', columns: ['slo_id String', 'at DateTime64(3)', 'burn_rates Map(LowCardinality(String), Float64)'], engine: 'MergeTree', orderBy: '(slo_id, at)' },
])
await migrate(storage, [...alertsMigrations, baselineTable])

const base = parseSloDocuments(
  `apiVersion: cairn/v1
kind: SLO
metadata: { name: availability, service: checkout }
spec: { objective: 99.9, window: 30d, sli: { spans: { service: checkout, bad: error } } }
`,
  'x.yaml',
).slos[0]!
const computed: Slo[] = Array.from({ length: N }, (_, i) => ({ ...base, id: `svc${i}-availability`, service: `svc${i}` }))
const rates = (r: number) => ({ '5m': r, '30m': r, '1h': r, '2h': r, '6h': r, '1d': r, '3d': r })
const evaluation = (slo: Slo, atMs: number, r: number): SloEvaluation => ({
  sloId: slo.id, evaluatedAtMs: atMs, status: 'ok', objectiveRatio: 0.999, sli: 0.99, eventsTotal: 1000, eventsBad: 10,
  budgetTotal: 1, budgetConsumed: 10, budgetRemainingRatio: -9, burnRates: rates(r),
})

const baselineMs = await measure(() =>
  storage.insertRows('bench_rows', computed.map((s) => ({ slo_id: s.id, at: Date.now(), burn_rates: rates(1) }))),
)

let clock = Date.now()
const alerter = createAlerter({
  config: configSchema.parse({ alerts: { alertmanagerUrl: amUrl } }).alerts,
  storage,
  logger: createLogger('silent'),
  registry: createMetricsRegistry(),
  now: () => clock,
})
await alerter.start()
const tick = (r: number) => {
  clock += 60_000
  return Promise.all(computed.map((s) => alerter.onEvaluated(s, evaluation(s, clock, r))))
}
const quietMs = await measure(() => tick(0.5))
const fireMs: number[] = []
const resolveMs: number[] = []
for (let i = 0; i < RUNS; i++) {
  fireMs.push(await time(() => tick(50)))
  await alerter.flush()
  resolveMs.push(await time(() => tick(0.5)))
  await alerter.flush()
}
const deliverMs = await time(async () => {
  await tick(50)
  await alerter.flush()
})
console.log(`\npaging, ${N} computed SLOs per tick, median of ${RUNS}`)
row('baseline: one insert of 1,000 evaluation rows', baselineMs, baselineMs)
row('onEvaluated ×1,000, nothing changes', quietMs, baselineMs)
row('onEvaluated ×1,000, all fire (2,000 state rows)', median(fireMs), baselineMs)
row('onEvaluated ×1,000, all resolve', median(resolveMs), baselineMs)
row('all fire, until 1,000 pages are delivered to Alertmanager', deliverMs, baselineMs)
await alerter.stop()
await storage.close()
am.close()
rmSync(dir, { recursive: true, force: true })
