import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { configSchema } from '../../config/index.ts'
import type { Storage } from '../../storage/index.ts'
import { breakAfter, readSettings } from '../../api/reads.ts'
import { attributeBurn, parseSloDocuments, type AttributionQuery, type Slo } from '../../slo-engine/index.ts'
import { chooseStep } from '../../slo-engine/attribution/sample.ts'
import { formatAttribution } from '../../cli/commands/explain.ts'
import { openMigratedStorage } from '../support/storage.ts'
import { seedRollupEdges } from '../support/rollup-history.ts'
import { countRange } from '../../slo-engine/rollup/compute.ts'
import { rangeSelection } from '../../slo-engine/sli/queries.ts'
import { tempDir } from '../support/temp.ts'

// Attribution of a range larger than one read may take: the block sample
// (slo-engine/attribution/sample.ts) on the embedded engine. 400,000 spans
// (49 blocks of 8192 rows), seeded inside the engine, whose errors sit on
// known values: 0.5 % everywhere, 20 % more on /pay of version 1.4.2.

const dir = tempDir()
const config = configSchema.parse({ storage: { dataDir: join(dir.path, 'data'), ttlDays: { traces: 0 } } })
let storage: Storage
let slo: Slo
const ROWS = 400_000
// A fixed hour: part names (which set each part's phase in the sample) and so the sample are the same on every run.
const END = Date.parse('2026-01-01T12:00:00Z')
const RANGE = { fromMs: END - 3_600_000, toMs: END }

const query: AttributionQuery = (sql, params, options) => storage.query(sql, params, breakAfter(readSettings(configSchema.parse({}).api.reads), options?.breakAfterSeconds))

beforeAll(async () => {
  storage = await openMigratedStorage(config)
  await storage.command(
    `INSERT INTO otel_traces (Timestamp, TraceId, SpanId, SpanName, SpanKind, ServiceName, Duration, StatusCode, SpanAttributes, ResourceAttributes)
     SELECT fromUnixTimestamp64Milli(toInt64(${END - 1} - (number * 7919) % 3600000)), lower(hex(cityHash64(number))), lower(hex(cityHash64(number, 2))),
       concat('POST ', route), 'Server', 'checkout', 1000000,
       if((route = '/pay' AND version = '1.4.2' AND h % 100 < 20) OR h % 1000 < 5, 'Error', 'Ok'),
       map('http.route', route), map('service.version', version, 'k8s.pod.name', concat('pod-', toString(cityHash64(number, 4) % 20)))
     FROM (SELECT number, cityHash64(number, 3) AS h, ['/pay', '/cart', '/search', '/login', '/orders'][number % 5 + 1] AS route,
             ['1.4.1', '1.4.2', '1.4.0'][cityHash64(number, 6) % 3 + 1] AS version FROM numbers(${ROWS}))`,
  )
  await storage.command('OPTIMIZE TABLE otel_traces FINAL')
  const parsed = parseSloDocuments(`apiVersion: cairn/v1
kind: SLO
metadata: { name: availability, service: checkout }
spec: { objective: 99.5, window: 30d, sli: { spans: { service: checkout, spanKind: Server, bad: error } } }
`, 'checkout.yaml')
  slo = parsed.slos[0]!
}, 120_000)
afterAll(async () => {
  await storage?.close()
  dir.remove()
})

describe('a range above the read limit', () => {
  it('reads every row when it fits, exactly', async () => {
    const a = await attributeBurn(slo, { range: RANGE }, query)
    expect(a.estimated).toBe(false)
    expect(a.sampling).toMatchObject({ badEvents: { rate: 1, read: a.bad, partial: false }, events: { rate: 1, read: ROWS, partial: false } })
    const route = a.dimensions.find((d) => d.key === 'http.route')!
    expect(route.values.reduce((n, v) => n + v.bad, 0)).toBe(a.bad)
  })

  it('samples blocks above it: exact totals, estimated values close to the exact ones, flagged with the rates', async () => {
    const exact = await attributeBurn(slo, { range: RANGE }, query)
    const a = await attributeBurn(slo, { range: RANGE, maxRowsPerRead: 16 * 8192 }, query)
    expect({ total: a.total, bad: a.bad }).toEqual({ total: exact.total, bad: exact.bad })
    expect(a.estimated).toBe(true)
    // 49 blocks: every 4th (about 12 blocks, ≤ 16 × 8192 rows) is read.
    expect(a.sampling.events.rate).toBe(1 / 4)
    expect(a.sampling.badEvents.rate).toBe(1 / 4)
    expect(a.sampling.events.read).toBeGreaterThan(ROWS / 8)
    expect(a.sampling.events.read).toBeLessThan(ROWS / 2)
    // The same causes, in the same order, with shares within a few points of the exact ones.
    expect(a.dimensions.map((d) => d.key)).toEqual(exact.dimensions.map((d) => d.key))
    for (const d of a.dimensions) {
      const e = exact.dimensions.find((x) => x.key === d.key)!
      expect(d.values[0]!.value).toBe(e.values[0]!.value)
      expect(Math.abs(d.values[0]!.budgetShare - e.values[0]!.budgetShare)).toBeLessThan(0.05)
      expect(Math.abs(d.concentration - e.concentration)).toBeLessThan(0.05)
      // Scaled to the exact totals: a value's counts are of the order of the exact ones.
      expect(Math.abs(d.values[0]!.bad - e.values[0]!.bad) / e.values[0]!.bad).toBeLessThan(0.15)
    }
    // cairn explain says so.
    expect(formatAttribution(a)).toContain(`estimated on a sample: ${a.sampling.badEvents.read} bad events read (25.0 % of the blocks), ${a.sampling.events.read} events read (25.0 % of the blocks)`)
  })
})

describe('the time budget', () => {
  it('answers with what a read had read when it ran out of time, flagged partial, the counts exact', async () => {
    // 10 ms: reading 400,000 rows' attribute maps takes longer on any machine.
    const a = await attributeBurn(slo, { range: RANGE, readSeconds: 0.01 }, query)
    expect(a.sampling.events).toMatchObject({ rate: 1, partial: true })
    expect(a.sampling.events.read).toBeLessThan(ROWS)
    expect(a.estimated).toBe(true)
    expect(a.total).toBe(ROWS)
    // Without a time budget the same read is whole, and says so.
    const whole = await attributeBurn(slo, { range: RANGE }, (sql, params) => storage.query(sql, params))
    expect(whole).toMatchObject({ estimated: false, sampling: { events: { read: ROWS, partial: false }, badEvents: { partial: false } } })
  })
})

describe('chooseStep', () => {
  const row = (k: number, blocks: number, badBlocks: number) => ({ k, total: blocks * 8192, bad: badBlocks, blocks, badBlocks })
  it('takes the smallest k whose blocks fit, for bad events and events apart', () => {
    const ladder = [row(1, 100, 3), row(2, 50, 2), row(4, 25, 1), row(8, 13, 1)]
    const step = chooseStep(ladder, 30 * 8192)
    expect(step.events.k).toBe(4)
    // Bad events in 3 blocks (a burst) are read whole.
    expect(step.bad.k).toBe(1)
    // Beyond the ladder: its last step.
    expect(chooseStep(ladder, 8192).events.k).toBe(8)
  })
})

describe('breakAfter', () => {
  it('stops a read early at the smaller of its budget and the configured limit, answering with what it read', () => {
    const base = readSettings({ ...configSchema.parse({}).api.reads, maxExecutionSeconds: 10 })
    expect(breakAfter(base, 3)).toMatchObject({ max_execution_time: 3, timeout_overflow_mode: 'break', readonly: '2' })
    expect(breakAfter(base, 30)).toMatchObject({ max_execution_time: 10, timeout_overflow_mode: 'break' })
    expect(breakAfter(base, undefined)).toBe(base)
  })
})

describe('the counts of rolled-up minutes', () => {
  it('takes the whole minutes the rollups hold from them and counts only the rest raw', async () => {
    const exact = await attributeBurn(slo, { range: RANGE }, query)
    // Rollups from 11:05 (epoch) computed up to 11:50, with the engine's own minute counts: [11:00, 11:05) and [11:50, 12:00) stay raw.
    const minute = (hhmm: string) => Date.parse(`2026-01-01T${hhmm}:00Z`) / 1000
    const { counts } = await countRange(storage, [slo], rangeSelection({ fromSeconds: minute('11:05'), toSeconds: minute('11:50') }))
    const inner = [...(counts.get(slo.id)?.values() ?? [])].reduce((a, m) => ({ good: a.good + m.good, total: a.total + m.total }), { good: 0, total: 0 })
    expect(inner.total).toBeGreaterThan(0)
    await seedRollupEdges(storage, slo, { epoch: '2026-01-01T11:05:00Z', computedTo: '2026-01-01T11:50:00Z' }, [{ at: '2026-01-01T11:49:00Z', ...inner }])
    const a = await attributeBurn(slo, { range: RANGE }, query)
    expect({ total: a.total, bad: a.bad }).toEqual({ total: exact.total, bad: exact.bad })
    expect(a.dimensions.map((d) => [d.key, d.values[0]!.value, d.values[0]!.budgetShare])).toEqual(exact.dimensions.map((d) => [d.key, d.values[0]!.value, d.values[0]!.budgetShare]))
    // They are read: rollups that say 1000 more events (a newer row of the same minute) move the total by 1000.
    await seedRollupEdges(storage, slo, { epoch: '2026-01-01T11:05:00Z', computedTo: '2026-01-01T11:50:00Z' }, [{ at: '2026-01-01T11:49:00Z', good: inner.good + 1000, total: inner.total + 1000 }])
    expect((await attributeBurn(slo, { range: RANGE }, query)).total).toBe(exact.total + 1000)
  })
})
