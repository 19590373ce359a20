import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Registry } from 'prom-client'
import { configSchema } from '../../config/index.ts'
import { createLogger } from '../../instrumentation/index.ts'
import { migrate, openStorage, otelMigrations, type Storage } from '../../storage/index.ts'
import { createEngine, engineMigrations, type Engine } from '../../slo-engine/index.ts'
import { pruneRollups } from '../../slo-engine/rollup/prune.ts'
import { histogramPoints, logs, spans, sumPoints } from '../fixtures/telemetry.ts'
import { latestEvaluation } from '../support/evaluations.ts'
import { tempDir } from '../support/temp.ts'

// Logs, counters (with a reset), histograms (OTLP and remote_write style),
// timeslices and a calendar window, each against hand-computed numbers.

const dir = tempDir()
const sloDir = join(dir.path, 'slos')
const config = configSchema.parse({ storage: { dataDir: join(dir.path, 'data'), ttlDays: { traces: 0, logs: 0, metrics: 0 } }, engine: { sloDir } })
let storage: Storage
let engine: Engine

const doc = (service: string, name: string, objective: number, window: string, sli: string, budgeting = 'occurrences') => `apiVersion: cairn/v1
kind: SLO
metadata: { name: ${name}, service: ${service} }
spec:
  objective: ${objective}
  window: ${window}
  budgeting: ${budgeting}
  sli:
    ${sli}
---
`

const latest = (id: string) => latestEvaluation(storage, id)

const ARITY = 9 // digits for toBeCloseTo

beforeAll(async () => {
  mkdirSync(sloDir)
  storage = await openStorage(config.storage)
  await migrate(storage, [...otelMigrations(config.storage.ttlDays), ...engineMigrations])
  engine = createEngine({ config: config.engine, storage, logger: createLogger('silent'), registry: new Registry() })
  writeFileSync(
    join(sloDir, 'slos.yaml'),
    [
      doc('search', 'severity', 99, '1d', 'logs: { service: search, attributes: { event.name: search.completed }, bad: { severity: error } }'),
      doc('search', 'body', 99, '1d', "logs: { service: search, body: { re: 'search .*' }, bad: { body: { re: '.*timeout.*' } } }"),
      doc('api', 'availability', 99, '1d', "metrics: { total: { metric: http_requests_total, service: api }, bad: { metric: http_requests_total, service: api, attributes: { code: { re: '5..' } } } }"),
      doc('api', 'latency', 90, '1d', 'histogram: { metric: http_server_duration_seconds, service: api, threshold: 0.25 }'),
      doc('slices', 'timeslices', 90, '1d', 'spans: { service: slices, bad: error }', '{ timeslices: { slice: 1m, target: 95 } }'),
      doc('slices', 'ratio', 90, '1d', 'spans: { service: slices, bad: error }', '{ ratioTimeslices: { slice: 1m } }'),
      doc('cal', 'month', 99, '{ calendar: month, timeZone: Europe/Berlin }', 'spans: { service: cal, bad: error }'),
    ].join(''),
  )
  const attrs = { 'event.name': 'search.completed' }
  await storage.insertRows('otel_logs', [
    ...logs('2025-02-10T11:50:00Z', 200, { severity: 9, attributes: attrs }),
    ...logs('2025-02-10T11:50:00Z', 3, { severity: 17, body: 'search timeout after 5s', attributes: attrs }),
    ...logs('2025-02-10T11:50:00Z', 1, { severity: 21, body: 'search crashed', attributes: attrs }),
    ...logs('2025-02-10T11:50:00Z', 5, { severity: 13, body: 'search slow', attributes: attrs }),
    ...logs('2025-02-10T11:50:00Z', 50, { severity: 17, body: 'index rebuild timeout' }),
  ])
  await storage.insertRows('otel_metrics_sum', [
    // Start unknown (as remote_write): the first point only sets the baseline; 11:20 is a reset.
    ...sumPoints([1000, 1500, 100, 400].map((value, i) => ({ at: `2025-02-10T11:${i}0:00Z`, value, attributes: { code: '200' } }))),
    // Started at 10:59, inside what is read: its first value counts.
    ...sumPoints([
      { at: '2025-02-10T11:00:00Z', value: 10, attributes: { code: '500' }, start: '2025-02-10T10:59:00Z' },
      { at: '2025-02-10T11:10:00Z', value: 30, attributes: { code: '500' }, start: '2025-02-10T10:59:00Z' },
      { at: '2025-02-10T11:30:00Z', value: 35, attributes: { code: '500' }, start: '2025-02-10T10:59:00Z' },
    ]),
    // Delta points are increases as they are.
    ...sumPoints([
      { at: '2025-02-10T11:15:00Z', value: 7, attributes: { code: '503' }, temporality: 1 },
      { at: '2025-02-10T11:25:00Z', value: 3, attributes: { code: '503' }, temporality: 1 },
    ]),
    // Another service: not counted.
    ...sumPoints([{ at: '2025-02-10T11:25:00Z', value: 1000, service: 'web', attributes: { code: '500' }, temporality: 1 }]),
    // remote_write histogram series of the latency SLO.
    ...sumPoints([
      { at: '2025-02-10T11:00:00Z', value: 100, metric: 'http_server_duration_seconds_bucket', attributes: { le: '0.25' } },
      { at: '2025-02-10T11:30:00Z', value: 160, metric: 'http_server_duration_seconds_bucket', attributes: { le: '0.25' } },
      { at: '2025-02-10T11:30:00Z', value: 999, metric: 'http_server_duration_seconds_bucket', attributes: { le: '0.5' } },
      { at: '2025-02-10T11:00:00Z', value: 200, metric: 'http_server_duration_seconds_count' },
      { at: '2025-02-10T11:30:00Z', value: 280, metric: 'http_server_duration_seconds_count' },
    ]),
  ])
  const bounds = [0.1, 0.25, 0.5, 1]
  await storage.insertRows('otel_metrics_histogram', [
    ...histogramPoints([
      { at: '2025-02-10T11:40:00Z', bounds, counts: [50, 30, 15, 4, 1] },
      { at: '2025-02-10T11:50:00Z', bounds, counts: [10, 10, 0, 0, 0] },
      // Buckets without 0.25 as a bound: left out.
      { at: '2025-02-10T11:45:00Z', bounds: [0.2, 0.3], counts: [5, 5, 5] },
      // Cumulative, started inside what is read.
      { at: '2025-02-10T11:41:00Z', bounds, counts: [1, 1, 1, 0, 1], temporality: 2, start: '2025-02-10T11:00:00Z', attributes: { pod: 'b' } },
      { at: '2025-02-10T11:51:00Z', bounds, counts: [2, 3, 1, 0, 1], temporality: 2, start: '2025-02-10T11:00:00Z', attributes: { pod: 'b' } },
    ]),
  ])
  const errorsByMinute: Record<number, number> = { 2: 10, 5: 10, 7: 5 }
  await storage.insertRows('otel_traces', [
    ...Array.from({ length: 10 }, (_, m) => spans(`2025-02-10T11:0${m}:00Z`, 100, { service: 'slices', errors: errorsByMinute[m] ?? 0 })).flat(),
    ...spans('2025-02-28T22:30:00Z', 100, { service: 'cal', errors: 50 }),
    ...spans('2025-02-28T23:10:00Z', 100, { service: 'cal', errors: 1 }),
    ...spans('2025-03-01T00:20:00Z', 100, { service: 'cal', errors: 3 }),
  ])
  await engine.tick(new Date('2025-02-10T12:00:00Z'))
})
afterAll(async () => {
  await storage.close()
  dir.remove()
})

describe('SLIs over logs, counters and histograms', () => {
  it('logs: bad at or above a severity, on records matching the attributes', async () => {
    const e = await latest('search-severity')
    expect([e.eventsTotal, e.eventsBad]).toEqual([209, 4])
    expect(e.sli).toBeCloseTo(205 / 209, ARITY)
    expect(e.burnRates['1h']).toBeCloseTo(4 / 209 / 0.01, ARITY)
  })

  it('logs: bad when the body matches, on records whose body matches', async () => {
    const e = await latest('search-body')
    expect([e.eventsTotal, e.eventsBad]).toEqual([209, 3])
  })

  it('counters: delta and cumulative, the first point of a series seen mid-life ignored, a reset counted from zero', async () => {
    // code 200: 0 + 500 + 100 (reset) + 300 = 900; code 500: 10 + 20 + 5 = 35; code 503 (delta): 7 + 3 = 10.
    const e = await latest('api-availability')
    expect([e.eventsTotal, e.eventsBad]).toEqual([945, 45])
    expect(e.sli).toBeCloseTo(900 / 945, ARITY)
    expect(e.burnRates['1h']).toBeCloseTo(45 / 945 / 0.01, ARITY)
    // 11:30–12:00: +300 (code 200) and +5 (code 500).
    expect(e.burnRates['30m']).toBeCloseTo(5 / 305 / 0.01, ARITY)
    expect(e.burnRates['5m']).toBeUndefined()
  })

  it('histograms: the share at or under a bucket bound, from OTLP points and remote_write _bucket/_count', async () => {
    // OTLP delta: 100 (80 ≤ 0.25) + 20 (20); cumulative: 4 (2) then +3 (+3); remote_write: +80 (+60).
    const e = await latest('api-latency')
    expect([e.eventsTotal, e.eventsBad]).toEqual([207, 42])
    expect(e.sli).toBeCloseTo(165 / 207, ARITY)
    expect(e.burnRates.window).toBeCloseTo(42 / 207 / 0.1, ARITY)
  })
})

describe('timeslices', () => {
  it('counts a slice good when it meets the slice target, and leaves slices without events out', async () => {
    // 10 one-minute slices with data: 90%, 90% (bad), 95% (good, meets 95%) and 7 × 100%.
    const e = await latest('slices-timeslices')
    expect([e.eventsTotal, e.eventsBad]).toEqual([10, 2])
    expect(e.sli).toBeCloseTo(0.8, ARITY)
    expect(e.budgetTotal).toBeCloseTo(1, ARITY)
    expect(e.budgetRemainingRatio).toBeCloseTo(-1, ARITY)
    expect(e.burnRates.window).toBeCloseTo(2, ARITY)
    expect(e.burnRates['1h']).toBeCloseTo(2, ARITY)
    expect(e.burnRates['30m']).toBeUndefined()
  })

  it('ratioTimeslices: the mean of the slices\' own SLIs', async () => {
    const e = await latest('slices-ratio')
    expect(e.sli).toBeCloseTo((7 + 0.9 + 0.9 + 0.95) / 10, ARITY)
    expect(e.eventsTotal).toBe(10)
    expect(e.eventsBad).toBeCloseTo(0.25, ARITY)
    expect(e.burnRates.window).toBeCloseTo(0.025 / 0.1, ARITY)
  })
})

describe('calendar windows', () => {
  it('start at the period\'s start in the SLO\'s time zone', async () => {
    // 00:30 UTC on 1 March is 01:30 in Berlin: the month began at 23:00 UTC on 28 February.
    await engine.tick(new Date('2025-03-01T00:30:00Z'))
    const e = await latest('cal-month')
    expect([e.eventsTotal, e.eventsBad]).toEqual([200, 4])
    expect(e.sli).toBeCloseTo(0.98, ARITY)
    expect(e.budgetRemainingRatio).toBeCloseTo(1 - 4 / 2, ARITY)
    expect(e.burnRates.window).toBeCloseTo(2, ARITY)
    expect(e.burnRates['1h']).toBeCloseTo(3, ARITY) // 23:30–00:30: 100 spans, 3 errors
    expect(e.burnRates['2h']).toBeCloseTo(54 / 300 / 0.01, ARITY) // from 22:30, February's spans too
  })
})

describe('rollup retention', () => {
  it('drops only the months that end before every SLO\'s rollup epoch', async () => {
    await storage.insertRows('cairn_slo_rollups', [{ minute: '2024-06-15 00:00:00', slo_id: 'gone', good: 1, total: 1, cum_good: 1, cum_total: 1, cum_slices: 0, cum_slices_good: 0, sli_hash: 'x', computed_at: 0 }])
    const months = async () => (await storage.query<{ m: number }>('SELECT DISTINCT toYYYYMM(minute) AS m FROM cairn_slo_rollups ORDER BY m')).map((r) => Number(r.m))
    // The calendar SLO's rollups start with its month, at 23:00 UTC on 31 January.
    expect(await months()).toEqual([202406, 202501, 202502, 202503])
    expect(await pruneRollups(storage, Date.parse('2025-01-31T23:00:00Z') / 1000)).toEqual(['202406'])
    expect(await months()).toEqual([202501, 202502, 202503])
    expect(await pruneRollups(storage, Date.parse('2025-02-07T12:00:00Z') / 1000)).toEqual(['202501'])
  })
})
