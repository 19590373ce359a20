import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { configSchema } from '../../config/index.ts'
import type { Storage } from '../../storage/index.ts'
import { generateDashboards, CLICKHOUSE_QUERY_PLUGIN_VERSION } from '../../dashboards/index.ts'
import { ALL_TEST_SLOS, checkoutAvailability, checkoutLatency, hostile, paymentsErrors } from '../fixtures/slos.ts'
import { panelTargets } from '../fixtures/dashboard-targets.ts'
import { expandClickHouseMacros } from '../support/grafana-macros.ts'
import { openMigratedStorage } from '../support/storage.ts'
import { tempDir } from '../support/temp.ts'

// Every SQL query of every generated ClickHouse panel runs against the
// embedded engine holding known data, with the plugin's macros expanded, and
// returns the numbers that data implies.

const dir = tempDir()
const config = configSchema.parse({ storage: { dataDir: dir.path } })
let storage: Storage

const HOUR = 3_600_000
const NOW = Math.floor(Date.now() / HOUR) * HOUR
const range = { fromMs: NOW - 7 * 24 * HOUR, toMs: NOW + HOUR, intervalSeconds: 3600 }
const ts = (ms: number) => new Date(ms).toISOString().replace('T', ' ').replace('Z', '')

/** Hourly evaluations over the last 48 h: budget falls by 1% an hour, burn rates known, 3d missing in the oldest hour. */
function evaluations(sloId: string) {
  return Array.from({ length: 48 }, (_, i) => {
    const at = NOW - (47 - i) * HOUR
    const burn: Record<string, number> = { '5m': 2, '30m': 1.5, '1h': 1.25, '2h': 1, '6h': 0.75, '1d': 0.5, '3d': 0.25 }
    if (i === 0) delete burn['3d']
    return {
      slo_id: sloId, evaluated_at: ts(at), status: 'ok', objective: 0.999, sli: 0.9995 - i * 0.00001,
      events_total: 1000 * (i + 1), events_bad: i, budget_total: 1000, budget_consumed: i * 10, budget_remaining: 1 - i * 0.01, burn_rates: burn,
    }
  })
}

beforeAll(async () => {
  storage = await openMigratedStorage(config)
  const sloIds = [checkoutAvailability, checkoutLatency, paymentsErrors, hostile].map((s) => s.id)
  await storage.insertRows('cairn_slo_evaluations', sloIds.flatMap(evaluations))
  // Per-minute rollups over the last 3 h: 100 events a minute, 3 bad.
  await storage.insertRows('cairn_slo_rollups', sloIds.flatMap((slo_id) =>
    Array.from({ length: 180 }, (_, i) => ({ slo_id, minute: ts(NOW - (i + 1) * 60_000), good: 97, total: 100, definition_hash: 'h', computed_at: ts(NOW) })),
  ))
  await storage.insertRows('cairn_alert_state', sloIds.flatMap((slo_id) => [
    { slo_id, severity: 'page', state: 'inactive', active_since: null, updated_at: ts(NOW - 2 * HOUR) },
    { slo_id, severity: 'page', state: 'firing', active_since: ts(NOW - HOUR), updated_at: ts(NOW - HOUR) },
    { slo_id, severity: 'ticket', state: 'inactive', active_since: null, updated_at: ts(NOW - HOUR) },
  ]))
  // Spans of every service: in each of the last 2 hours, 30 server spans of which 3 errors, 10..300 ms.
  const services = [...new Set(ALL_TEST_SLOS.map((s) => s.service))]
  await storage.insertRows('otel_traces', services.flatMap((ServiceName) => [0, 1].flatMap((h) =>
    Array.from({ length: 30 }, (_, i) => ({
      Timestamp: ts(NOW - (h + 1) * HOUR + i * 1000), TraceId: `${h}${i}`.padStart(32, '0'), SpanId: `${h}${i}`.padStart(16, '0'),
      SpanName: 'POST /pay', SpanKind: 'Server', ServiceName, Duration: (i + 1) * 10_000_000, StatusCode: i < 3 ? 'Error' : 'Ok',
    })),
  )))
  await storage.insertRows('otel_logs', services.flatMap((ServiceName) => [
    { Timestamp: ts(NOW - 30 * 60_000), ServiceName, SeverityText: 'ERROR', SeverityNumber: 17, Body: 'payment declined' },
    { Timestamp: ts(NOW - 20 * 60_000), ServiceName, SeverityText: 'INFO', SeverityNumber: 9, Body: 'ok' },
  ]))
})
afterAll(async () => {
  await storage?.close()
  dir.remove()
})

const dashboards = generateDashboards(ALL_TEST_SLOS, ['clickhouse'])
const targets = dashboards.flatMap((d) => panelTargets(d.dashboard).map((t) => ({ ...t, dashboard: d })))

async function run(rawSql: string) {
  return storage.query<Record<string, unknown>>(expandClickHouseMacros(rawSql, range))
}

describe('ClickHouse dashboards', () => {
  it('mark every query as a v4 SQL-editor query of the ClickHouse plugin', () => {
    expect(targets.length).toBeGreaterThan(40)
    for (const { target } of targets) {
      expect(target).toMatchObject({ editorType: 'sql', pluginVersion: CLICKHOUSE_QUERY_PLUGIN_VERSION, datasource: { type: 'grafana-clickhouse-datasource', uid: 'cairn-clickhouse' } })
      expect([0, 1, 2]).toContain(target.format)
    }
  })

  it.each(targets.map((t) => [`${t.dashboard.path} / ${t.panel} / ${t.refId}`, t] as const))('%s runs and returns rows', async (_name, t) => {
    const rows = await run(String(t.target.rawSql))
    expect(rows.length).toBeGreaterThan(0)
  })

  const slo = dashboards.find((d) => d.kind === 'slo' && d.key === checkoutAvailability.id)!
  const sqlOf = (panel: string) => String(panelTargets(slo.dashboard).find((t) => t.panel === panel)!.target.rawSql)

  it('SLO panels return the stored numbers', async () => {
    const sli = await run(sqlOf('SLI against objective'))
    expect(sli).toHaveLength(48)
    expect(Number(sli.at(-1)!.SLI)).toBeCloseTo(0.9995 - 47 * 0.00001, 9)
    expect(Number(sli.at(-1)!.objective)).toBe(0.999)

    expect(await run(sqlOf('Error budget remaining'))).toEqual([{ 'budget remaining': 1 - 47 * 0.01 }])

    const burnDown = await run(sqlOf('Error budget burn-down'))
    expect(burnDown.map((r) => Number(r['budget remaining']))).toEqual(Array.from({ length: 48 }, (_, i) => 1 - i * 0.01))

    const burn = await run(sqlOf('Burn rate per alert window'))
    expect(Object.keys(burn[0]!)).toEqual(['time', '5m', '30m', '1h', '2h', '6h', '1d', '3d'])
    expect(burn[0]!['3d']).toBeNull() // no data in that window: a gap, not a zero
    expect(burn[1]).toMatchObject({ '5m': 2, '30m': 1.5, '1h': 1.25, '2h': 1, '6h': 0.75, '1d': 0.5, '3d': 0.25 })

    // The latest evaluation is at NOW, the start of this hour.
    const [age] = await run(sqlOf('Last evaluated'))
    expect(Number(age!['since evaluated'])).toBeGreaterThanOrEqual(Math.floor((Date.now() - NOW) / 1000) - 1)
    expect(Number(age!['since evaluated'])).toBeLessThanOrEqual(Math.ceil((Date.now() - NOW) / 1000) + 1)
    const alerts = await run(sqlOf('Alert state'))
    expect(alerts.map((r) => [r.severity, r.state])).toEqual([['page', 'firing'], ['ticket', 'inactive']])

    const events = await run(sqlOf('Good and bad events'))
    expect(events.reduce((n, r) => n + Number(r.good), 0)).toBe(180 * 97)
    expect(events.reduce((n, r) => n + Number(r.bad), 0)).toBe(180 * 3)
  })

  it('raw telemetry panels count spans and read error logs', async () => {
    const spans = await run(sqlOf('Spans of checkout'))
    expect(spans.reduce((n, r) => n + Number(r.error) * 3600, 0)).toBeCloseTo(6, 6)
    expect(spans.reduce((n, r) => n + Number(r.ok) * 3600, 0)).toBeCloseTo(54, 6)
    const latency = await run(sqlOf('Latency of checkout'))
    expect(Number(latency[0]!.p50)).toBeCloseTo(155, 0)
    const logs = await run(sqlOf('Warnings and errors of checkout'))
    expect(logs.map((r) => [r.level, r.body])).toEqual([['ERROR', 'payment declined']])
  })

  it('the overview lists every evaluated SLO, lowest remaining budget first', async () => {
    const overview = dashboards.find((d) => d.kind === 'overview')!
    const rows = await run(String(panelTargets(overview.dashboard)[0]!.target.rawSql))
    expect(rows.map((r) => r.slo)).toEqual([checkoutAvailability.id, checkoutLatency.id, hostile.id, paymentsErrors.id].sort())
    expect(rows.every((r) => Number(r['budget remaining']) === 1 - 47 * 0.01)).toBe(true)
  })

  it('escapes quotes and backslashes of ids and services in SQL literals', async () => {
    const d = dashboards.find((x) => x.kind === 'slo' && x.key === hostile.id)!
    const budget = panelTargets(d.dashboard).find((t) => t.panel === 'Error budget remaining')!
    expect(await run(String(budget.target.rawSql))).toEqual([{ 'budget remaining': 1 - 47 * 0.01 }])
  })
})
