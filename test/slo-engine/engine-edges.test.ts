import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { Writable } from 'node:stream'
import pino from 'pino'
import { Registry } from 'prom-client'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { configSchema } from '../../config/index.ts'
import { alertPolicyFor, evaluateConditions, generatePrometheusRules } from '../../alerts/index.ts'
import { createEngine, parseSloDocuments, type Engine } from '../../slo-engine/index.ts'
import { createSloGauges } from '../../slo-engine/metrics.ts'
import { testRules } from '../support/promtool.ts'
import { migrate, openStorage, otelMigrations, type Storage } from '../../storage/index.ts'
import { engineMigrations } from '../../slo-engine/index.ts'
import { spans, sumPoints } from '../fixtures/telemetry.ts'
import { latestEvaluation } from '../support/evaluations.ts'
import { tempDir } from '../support/temp.ts'
import { requireTool } from '../support/needs.ts'

// Counters and remote_write histograms right at the edges, each against
// hand-computed numbers: invalid points never enter the sums, a series
// silent for longer than the prefetch keeps its increase, a series first seen
// with its start inside what is read counts its first increase, every `le`
// spelling matches, and a threshold that is no bucket bound is "no data".

const dir = tempDir('cairn-edges-')
const sloDir = join(dir.path, 'slos')
const config = configSchema.parse({ storage: { dataDir: join(dir.path, 'data'), ttlDays: { traces: 0, logs: 0, metrics: 0 } }, engine: { sloDir } })
let storage: Storage
let engine: Engine
const lines: Record<string, unknown>[] = []

const doc = (name: string, objective: number, sli: string) => `apiVersion: cairn/v1
kind: SLO
metadata: { name: ${name}, service: edge }
spec:
  objective: ${objective}
  window: 1d
  sli:
    ${sli}
---
`
const cal = (name: string, budgeting: string) => `apiVersion: cairn/v1
kind: SLO
metadata: { name: ${name}, service: kolkata }
spec:
  objective: 99
  window: { calendar: day, timeZone: Asia/Kolkata }
  budgeting: ${budgeting}
  sli: { spans: { service: kolkata, bad: error } }
---
`
const histogram = (name: string, threshold: string) => doc(name, 90, `histogram: { metric: rw_latency_seconds, service: edge, threshold: ${threshold} }`)

// 3 bad of 500 against a 0.1% budget: burn rate exactly 6, the page-slow factor; 4 of 500: 8.
const threshold = (name: string) => `apiVersion: cairn/v1
kind: SLO
metadata: { name: ${name}, service: threshold }
spec:
  objective: 99.9
  window: 30d
  sli: { spans: { service: ${name}, bad: error } }
  alerting: { name: ${name === 'at' ? 'AtBudgetBurn' : 'AboveBudgetBurn'} }
---
`
const THRESHOLD_SPECS = threshold('at') + threshold('above')

const S = '2025-03-10T09:00:00Z' // start time of the OTLP cumulative series
const at = (hhmmss: string) => `2025-03-10T${hhmmss}Z`

beforeAll(async () => {
  mkdirSync(sloDir)
  storage = await openStorage(config.storage)
  await migrate(storage, [...otelMigrations(config.storage.ttlDays), ...engineMigrations])
  const stream = new Writable({
    write(chunk, _enc, cb) {
      for (const l of String(chunk).trim().split('\n')) lines.push(JSON.parse(l))
      cb()
    },
  })
  engine = createEngine({ config: config.engine, storage, logger: pino({ level: 'warn' }, stream), registry: new Registry() })
  writeFileSync(
    join(sloDir, 'edges.yaml'),
    [
      doc('requests', 99, "metrics: { total: { metric: edge_requests_total, service: edge }, bad: { metric: edge_requests_total, service: edge, attributes: { code: { re: '5..' } } } }"),
      histogram('tiny', '1e-05'),
      histogram('quarter', '0.25'),
      histogram('one', '1'),
      histogram('between', '0.5'),
      cal('day-slices', "{ timeslices: { slice: 1d, target: 95 } }"),
      cal('day-events', 'occurrences'),
      doc('settle', 99, 'spans: { service: settle, bad: error }').replace('service: edge', 'service: settling'),
      THRESHOLD_SPECS,
    ].join(''),
  )
  const a = { attributes: { code: '200' }, start: S, metric: 'edge_requests_total', service: 'edge' }
  // 10 March in Kolkata (UTC+5:30) is 18:30 UTC on the 9th to 18:30 UTC on the 10th.
  await storage.insertRows('otel_traces', [
    ...spans('2025-03-09T19:00:00Z', 100, { service: 'kolkata', errors: 10 }), // 00:30 local
    ...spans('2025-03-10T17:00:00Z', 100, { service: 'kolkata' }), // 22:30 local
    ...spans('2025-03-10T18:29:30Z', 10, { service: 'kolkata' }).map((r) => ({ ...r, Timestamp: '2025-03-10 18:29:30.000000000' })), // 23:59:30 local: the last minute
    ...spans('2025-03-10T18:31:00Z', 100, { service: 'kolkata', errors: 100 }), // 00:01 on the 11th: not the 10th's
  ])
  // Series A's only point before a two-hour gap.
  await storage.insertRows('otel_metrics_sum', sumPoints([{ ...a, at: at('10:00:00'), value: 100 }]))
  await engine.tick(new Date(at('10:05:00')))
  await engine.tick(new Date(at('11:58:00')))
  const b = { attributes: { code: '500' }, start: at('11:59:30'), metric: 'edge_requests_total', service: 'edge' }
  const c = { attributes: { code: '503' }, temporality: 1 as const, metric: 'edge_requests_total', service: 'edge' }
  const d = { attributes: { code: '200', pod: 'rw' }, metric: 'edge_requests_total', service: 'edge' } // remote_write: no start time
  const bucket = (le: string, first: number, second: number) => [
    { at: at('12:00:00'), value: first, metric: 'rw_latency_seconds_bucket', service: 'edge', attributes: { le } },
    { at: at('12:02:00'), value: second, metric: 'rw_latency_seconds_bucket', service: 'edge', attributes: { le } },
  ]
  await storage.insertRows(
    'otel_metrics_sum',
    sumPoints([
      // A, after 2 hours of silence (longer than the 1-hour prefetch): +60.
      { ...a, at: at('12:00:00'), value: 160 },
      { ...a, at: at('12:01:00'), value: NaN }, // never counted
      { ...a, at: at('12:02:00'), value: 150 }, // lower, same start time: not a reset, counts nothing
      { ...a, at: at('12:03:00'), value: 170 }, // only the rise above 160 counts: +10
      { ...a, at: at('12:04:00'), value: 0, flags: 1 }, // "no recorded value": never counted
      // B: started at 11:59:30, inside what is read: its first value counts (+4); a negative value is dropped; then +2.
      { ...b, at: at('12:01:00'), value: 4 },
      { ...b, at: at('12:03:00'), value: -1 },
      { ...b, at: at('12:04:00'), value: 6 },
      // C, delta: 3; NaN, infinite and negative deltas dropped.
      { ...c, at: at('12:02:00'), value: 3 },
      { ...c, at: at('12:02:30'), value: NaN },
      { ...c, at: at('12:02:40'), value: Infinity },
      { ...c, at: at('12:03:00'), value: -5 },
      // D, remote_write: first seen mid-life (0), +10, a drop is a reset (+5), +10.
      { ...d, at: at('12:00:00'), value: 1000 },
      { ...d, at: at('12:01:00'), value: 1010 },
      { ...d, at: at('12:02:00'), value: 5 },
      { ...d, at: at('12:03:00'), value: 15 },
      // A remote_write histogram, `le` as clients spell it: +3, +20, +30, +40 of 40 observations.
      ...bucket('1e-05', 10, 13),
      ...bucket('0.25', 50, 70),
      ...bucket('1.0', 80, 110),
      ...bucket('+Inf', 100, 140),
      { at: at('12:00:00'), value: 100, metric: 'rw_latency_seconds_count', service: 'edge' },
      { at: at('12:02:00'), value: 140, metric: 'rw_latency_seconds_count', service: 'edge' },
    ]),
  )
  await storage.insertRows('otel_traces', [...spans(at('12:03:00'), 500, { service: 'at', errors: 3 }), ...spans(at('12:03:00'), 500, { service: 'above', errors: 4 })])
  await engine.tick(new Date(at('12:05:00')))
}, 120_000)

afterAll(async () => {
  await storage?.close()
  dir.remove()
})

describe('counters at the edges', () => {
  it('count only valid increases: the gap, the first increase, no NaN, negative, flagged or non-reset drop', async () => {
    const e = await latestEvaluation(storage, 'edge-requests')
    // 12:00–12:05: A 60 + 10, B 4 + 2, C 3, D 10 + 5 + 10 = 104 events; bad (5xx) B 6 + C 3 = 9.
    expect(e.burnRates['5m']).toBeCloseTo(9 / 104 / 0.01, 9)
    // The day: A's 100 at 10:00 (its series started at 09:00, inside what the first tick read) as well.
    expect([e.eventsTotal, e.eventsBad]).toEqual([204, 9])
    expect(e.sli).toBeCloseTo(195 / 204, 12)
  })
})

describe('remote_write histograms at the edges', () => {
  it.each([
    ['tiny', '1e-05', 3],
    ['quarter', '0.25', 20],
    ['one', '1.0', 30],
  ])('threshold %s matches le="%s": %i of 40 observations good', async (name, _le, good) => {
    const e = await latestEvaluation(storage, `edge-${name}`)
    expect([e.eventsTotal, e.eventsBad]).toEqual([40, 40 - good])
    expect(e.sli).toBeCloseTo(good / 40, 12)
  })

  it('a threshold that is no bucket bound is no data with a warning, never SLI 0', async () => {
    const e = await latestEvaluation(storage, 'edge-between')
    expect(e.status).toBe('no_data')
    expect(e.sli).toBeNull()
    expect(e.burnRates).toEqual({})
    expect(lines.find((l) => l.slo === 'edge-between')).toMatchObject({ msg: 'histogram points without the SLO threshold as a bucket bound were left out' })
  })
})

describe('exactly at the alert threshold', () => {
  requireTool('promtool').it('the engine and the generated rules decide alike: same comparison (>), same float through /metrics', async () => {
    const slos = parseSloDocuments(THRESHOLD_SPECS, 'threshold.yaml').slos
    const evaluated = await Promise.all(slos.map(async (slo) => ({ slo, evaluation: await latestEvaluation(storage, slo.id) })))
    const [atThreshold, above] = evaluated
    const pageSlow = alertPolicyFor(atThreshold!.slo).pairs.find((p) => p.severity === 'page' && p.speed === 'slow')!
    expect(pageSlow.burnRateFactor).toBe(6)
    expect(atThreshold!.evaluation.burnRates['30m']).toBe(6) // 3 / 500 / 0.001, exactly
    expect(above!.evaluation.burnRates['30m']).toBe(8)
    // The engine: burning only strictly above the factor.
    const engineSays = (e: (typeof evaluated)[number]) => {
      const c = evaluateConditions(alertPolicyFor(e.slo), e.evaluation)
      return { page: c.page.active, ticket: c.ticket.active }
    }
    expect(engineSays(atThreshold!)).toEqual({ page: false, ticket: true })
    expect(engineSays(above!)).toEqual({ page: true, ticket: true }) // 8 > 6 over 30m and 6h
    // Prometheus, over the gauges exactly as /metrics writes them.
    const registry = new Registry()
    createSloGauges(registry).update(evaluated)
    const exposition = (await registry.metrics()).split('\n').filter((l) => l.startsWith('cairn_slo_burn_rate{'))
    expect(exposition).toContain(`cairn_slo_burn_rate{slo="threshold-at",service="threshold",name="at",window="30m"} 6`)
    const rulesDir = tempDir('cairn-threshold-rules-')
    try {
      writeFileSync(join(rulesDir.path, 'rules.yaml'), generatePrometheusRules(slos))
      const input_series = exposition.map((line) => {
        const cut = line.lastIndexOf(' ')
        return { series: line.slice(0, cut), values: `${line.slice(cut + 1)}x15` }
      })
      const firing = (alertname: string, severities: string[]) => ({
        expr: `count by (alertname, sloth_severity) (ALERTS{alertname="${alertname}", alertstate="firing"})`,
        eval_time: '10m',
        exp_samples: severities.map((sev) => ({ labels: `{alertname="${alertname}", sloth_severity="${sev}"}`, value: 1 })),
      })
      const result = testRules(rulesDir.path, 'threshold.test.yaml', {
        rule_files: ['rules.yaml'],
        evaluation_interval: '1m',
        tests: [{ interval: '1m', input_series, promql_expr_test: [firing('AtBudgetBurn', ['ticket']), firing('AboveBudgetBurn', ['page', 'ticket'])] }],
      })
      expect(result.output).toContain('SUCCESS')
    } finally {
      rulesDir.remove()
    }
  })
})

describe('calendar windows at the edges', () => {
  it('at the first instant of a local day, evaluates the day that just ended, its last minute and its local-day slice included', async () => {
    await engine.tick(new Date('2025-03-10T18:30:00Z'))
    // Occurrences: 210 spans of the local day, 10 bad; the 11th's spans are not in it.
    const events = await latestEvaluation(storage, 'kolkata-day-events')
    expect(events.evaluatedAtMs).toBe(Date.parse('2025-03-10T18:30:00Z'))
    expect([events.eventsTotal, events.eventsBad]).toEqual([210, 10])
    expect(events.burnRates.window).toBeCloseTo(10 / 210 / 0.01, 9)
    // Timeslices: one 1d slice holding the local day, 200 of 210 good = 95.2% ≥ 95%: a good slice.
    // (UTC-aligned slices would have split it at 00:00 UTC, into 90% and 100%.)
    const slices = await latestEvaluation(storage, 'kolkata-day-slices')
    expect([slices.eventsTotal, slices.eventsBad, slices.sli]).toEqual([1, 0, 1])
  })
})

describe('the settle delay', () => {
  it('a scheduled tick evaluates only minutes that ended at least CAIRN_EVAL_SETTLE ago, not the minute still arriving', async () => {
    const t0 = Date.now()
    await storage.insertRows('otel_traces', [
      ...spans(new Date(t0 - 150_000).toISOString(), 20, { service: 'settle', errors: 2 }), // settled
      ...spans(new Date(t0 - 10_000).toISOString(), 30, { service: 'settle', errors: 30 }).map((r, i) => ({ ...r, TraceId: `late${i}` })), // still arriving
    ])
    const scheduled = createEngine({ config: { ...config.engine, schedule: '0 0 1 1 *', settle: '1m' }, storage, logger: pino({ level: 'silent' }), registry: new Registry() })
    await scheduled.start() // runs once at start, then on the schedule (next January)
    await scheduled.stop()
    const e = await latestEvaluation(storage, 'settling-settle')
    // The last minute evaluated ended at least a minute before the tick.
    expect(e.evaluatedAtMs).toBeLessThanOrEqual(Date.now() - 60_000)
    expect(e.evaluatedAtMs).toBeGreaterThan(t0 - 120_000 - 1000)
    expect([e.eventsTotal, e.eventsBad]).toEqual([20, 2])
  })

  it('a scheduled tick runs CAIRN_EVAL_SETTLE after its scheduled time, not at it', { timeout: 20_000 }, async () => {
    const registry = new Registry()
    const ticks = async () => (await registry.getSingleMetric('cairn_engine_ticks_total')!.get()).values[0]!.value
    // Every second, waiting 3 s: the first scheduled tick (at the next whole second) runs 3 s later.
    const scheduled = createEngine({ config: { ...config.engine, schedule: '* * * * * *', settle: '3s' }, storage, logger: pino({ level: 'silent' }), registry })
    const started = Date.now()
    await scheduled.start()
    try {
      await new Promise((r) => setTimeout(r, Math.max(0, 2_000 - (Date.now() - started))))
      expect(await ticks()).toBe(1) // only the tick at start
      await expect.poll(ticks, { timeout: 10_000 }).toBeGreaterThan(1)
      expect(Date.now() - started).toBeGreaterThanOrEqual(3_000)
    } finally {
      await scheduled.stop()
    }
  })
})
