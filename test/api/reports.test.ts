import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { configSchema } from '../../config/index.ts'
import type { Storage } from '../../storage/index.ts'
import { createApi, createAuthorizer } from '../../api/index.ts'
import { ENGINE_TABLES, type SloCatalog } from '../../slo-engine/index.ts'
import { createReportSender, makeReport, reportMarkdown } from '../../reports/index.ts'
import { createLogger } from '../../instrumentation/index.ts'
import { openMigratedStorage, seedCatalog } from '../support/storage.ts'
import { tempDir } from '../support/temp.ts'
import { seedRollupEdges } from '../support/rollup-history.ts'
import { startHttpRecorder } from '../support/http-recorder.ts'

// Reports over the real catalog, evaluation, rollup, alert-state and span
// tables: every figure is the seeded evaluation or rollup it summarises, or
// hand-computed from them (budget spent, alert durations, change from the
// previous period). The weekly SLIs of payments come from its rollups (equal
// to its 7d evaluations at the week's close, as they would be); the other
// figures fall back to the closing evaluation (test/reports/period-sli.test.ts
// has a window that differs from the period).

const dir = tempDir()
const config = configSchema.parse({ storage: { dataDir: join(dir.path, 'data') } })
let storage: Storage
let catalog: SloCatalog
let api: ReturnType<typeof createApi>

const T = (text: string) => Date.parse(text)
const chTime = (ms: number) => new Date(ms).toISOString().replace('T', ' ').replace('Z', '')
const spec = (service: string, name: string, objective: number, labels = '') => `apiVersion: cairn/v1
kind: SLO
metadata: { name: ${name}, service: ${service}${labels ? `, labels: ${labels}` : ''} }
spec:
  objective: ${objective}
  window: 7d
  sli: { spans: { service: ${service}, bad: error } }
`
const evaluation = (id: string, at: string, objective: number, sli: number | null, remaining: number | null, status = 'ok') => ({
  slo_id: id, evaluated_at: chTime(T(at)), status, objective, sli, events_total: 10_000, events_bad: 10_000 * (1 - (sli ?? 1)),
  budget_total: 10_000 * (1 - objective), budget_consumed: 10_000 * (1 - objective) * (1 - (remaining ?? 1)), budget_remaining: remaining, burn_rates: {},
})
const alertRow = (id: string, severity: string, state: string, updated: string, fired?: string, resolved?: string) => ({
  slo_id: id, severity, state, active_since: fired ? chTime(T(fired) - 300_000) : null, fired_at: fired ? chTime(T(fired)) : null,
  resolved_at: resolved ? chTime(T(resolved)) : null, updated_at: chTime(T(updated)),
})

beforeAll(async () => {
  storage = await openMigratedStorage(config)
  catalog = await seedCatalog(storage, join(dir.path, 'slos'), {
    'specs.yaml': [spec('payments', 'availability', 99, '{ team: payments }'), spec('payments', 'latency', 95, '{ team: payments }'), spec('search', 'availability', 99.5)].join('---\n'),
    // A calendar-month window: its budget starts afresh on the 1st.
    'billing.yaml': spec('billing', 'availability', 99, '{ team: billing }').replace('window: 7d', 'window: { calendar: month, timeZone: UTC }'),
  })
  await storage.insertRows(ENGINE_TABLES.evaluations, [
    evaluation('payments-availability', '2026-10-31T23:00:00Z', 0.99, 0.999, 1),
    evaluation('payments-availability', '2026-11-15T12:00:00Z', 0.99, 0.999, 0.9),
    evaluation('payments-availability', '2026-11-20T12:00:00Z', 0.99, 0.997, 0.8),
    evaluation('payments-availability', '2026-11-22T23:00:00Z', 0.99, 0.995, 0.7),
    evaluation('payments-availability', '2026-11-25T00:00:00Z', 0.99, 0.99, 0.5),
    evaluation('payments-availability', '2026-11-29T23:59:00Z', 0.99, 0.985, 0.25),
    // Not closing evaluations: a failed one in the week, one in the next week.
    evaluation('payments-availability', '2026-11-29T23:59:30Z', 0.99, null, null, 'error'),
    evaluation('payments-availability', '2026-11-30T00:00:00Z', 0.99, 0.9, -1),
    evaluation('payments-latency', '2026-11-27T06:00:00Z', 0.95, 0.97, 0.6),
    evaluation('billing-availability', '2026-10-31T23:00:00Z', 0.99, 0.992, 0.2),
    evaluation('billing-availability', '2026-11-22T23:00:00Z', 0.99, 0.995, 0.5),
    evaluation('billing-availability', '2026-11-29T23:00:00Z', 0.99, 0.993, 0.3),
  ])
  // Running sums at the weeks' edges (the minute before each Monday): availability 50 bad of 10,000 the week
  // before (0.995), 150 of 10,000 this week (0.985); latency, rolled up from this Monday on, 300 of 10,000 (0.97).
  await seedRollupEdges(storage, (await catalog.get('payments-availability'))!, { epoch: '2026-11-01T00:00:00Z', computedTo: '2026-12-01T00:00:00Z' }, [
    { at: '2026-11-15T23:59:00Z', good: 99_900, total: 100_000 },
    { at: '2026-11-22T23:59:00Z', good: 109_850, total: 110_000 },
    { at: '2026-11-29T23:59:00Z', good: 119_700, total: 120_000 },
  ])
  await seedRollupEdges(storage, (await catalog.get('payments-latency'))!, { epoch: '2026-11-23T00:00:00Z', computedTo: '2026-12-01T00:00:00Z' }, [{ at: '2026-11-29T23:59:00Z', good: 9700, total: 10_000 }])
  // The state table keeps the newest row per (SLO, severity) once merged, and
  // each row carries its latest firing: one firing per severity is what surely survives.
  const changes = [
    // previous week: a page of 20 minutes
    alertRow('payments-availability', 'page', 'firing', '2026-11-18T08:00:00Z', '2026-11-18T08:00:00Z'),
    alertRow('payments-availability', 'page', 'resolved', '2026-11-18T08:20:00Z', '2026-11-18T08:00:00Z', '2026-11-18T08:20:00Z'),
    // this week: a ticket of 1h30, and a page of latency still firing at the week's end (2 h)
    alertRow('payments-availability', 'ticket', 'firing', '2026-11-24T10:00:00Z', '2026-11-24T10:00:00Z'),
    alertRow('payments-availability', 'ticket', 'resolved', '2026-11-24T11:30:00Z', '2026-11-24T10:00:00Z', '2026-11-24T11:30:00Z'),
    alertRow('payments-latency', 'page', 'firing', '2026-11-29T22:00:00Z', '2026-11-29T22:00:00Z'),
    // next week: not in the week's report
    alertRow('search-availability', 'page', 'firing', '2026-11-30T01:00:00Z', '2026-11-30T01:00:00Z'),
  ]
  for (const change of changes) await storage.insertRows('cairn_alert_state', [change])
  // The history table keeps every change, even written at once: a page of 10 minutes of search this week.
  const history = [
    alertRow('search-availability', 'page', 'firing', '2026-11-25T02:00:00Z', '2026-11-25T02:00:00Z'),
    alertRow('search-availability', 'page', 'resolved', '2026-11-25T02:10:00Z', '2026-11-25T02:00:00Z', '2026-11-25T02:10:00Z'),
  ]
  await storage.insertRows('cairn_alert_history', history)
  // This week's failing spans sit on http.route=/pay; /home only succeeds.
  const span = (i: number, route: string, status: string) => ({
    Timestamp: chTime(T('2026-11-26T12:00:00Z') + i * 1000), TraceId: `${'ab'.repeat(15)}${String(i).padStart(2, '0')}`, SpanId: `00000000000000${String(i).padStart(2, '0')}`,
    SpanName: 'POST /pay', SpanKind: 'Server', ServiceName: 'payments', Duration: 1_000_000, StatusCode: status, SpanAttributes: { 'http.route': route },
  })
  await storage.insertRows('otel_traces', [span(1, '/pay', 'Error'), span(2, '/pay', 'Error'), span(3, '/pay', 'Error'), span(4, '/home', 'Ok')])
  api = createApi({ storage, logger: createLogger('silent'), auth: createAuthorizer([]), catalog })
})
afterAll(async () => {
  await storage?.close()
  dir.remove()
})

async function get(query: string) {
  const res = await api.request(`/api/v1/reports?${query}`)
  return { status: res.status, body: (await res.json()) as any }
}
const slosOf = (body: any) => body.teams.flatMap((t: any) => t.services.flatMap((s: any) => s.slos))
const sloOf = (body: any, id: string) => slosOf(body).find((s: any) => s.id === id)

describe('GET /api/v1/reports?period=week', () => {
  it('covers the last complete ISO week and the one before it', async () => {
    const { status, body } = await get('period=week&end=2026-12-02T05:00:00Z')
    expect(status).toBe(200)
    expect([body.from, body.to]).toEqual(['2026-11-23T00:00:00.000Z', '2026-11-30T00:00:00.000Z'])
    expect(body.previous).toEqual({ from: '2026-11-16T00:00:00.000Z', to: '2026-11-23T00:00:00.000Z' })
    // A week that ends exactly at `end` is complete.
    expect((await get('period=week&end=2026-11-30T00:00:00Z')).body.from).toBe('2026-11-23T00:00:00.000Z')
  })

  it('reports the closing evaluation, the budget spent, the alerts and the change from the previous week', async () => {
    const { body } = await get('period=week&end=2026-11-30T00:00:00Z')
    const pay = sloOf(body, 'payments-availability')
    expect(pay).toMatchObject({
      service: 'payments', team: 'payments',
      evaluatedAt: '2026-11-29T23:59:00.000Z', objective: 0.99, sli: 0.985, sliOver: 'period', events: { total: 10_000, bad: 150 }, met: false, budgetRemaining: 0.25,
      alerts: [{ severity: 'ticket', firedAt: '2026-11-24T10:00:00.000Z', resolvedAt: '2026-11-24T11:30:00.000Z', durationSeconds: 5400 }],
      alertSeconds: 5400,
      previous: { evaluatedAt: '2026-11-22T23:00:00.000Z', sli: 0.995, sliOver: 'period', events: { total: 10_000, bad: 50 }, met: true, budgetRemaining: 0.7, alerts: [{ severity: 'page', durationSeconds: 1200 }], alertSeconds: 1200 },
      change: { alerts: 0, met: 'lost' },
    })
    // 0.70 remaining at the previous close, 0.25 at this one; the week before: 0.90 → 0.70.
    expect(pay.budgetSpent).toBeCloseTo(0.45, 12)
    expect(pay.previous.budgetSpent).toBeCloseTo(0.2, 12)
    expect(pay.change.sli).toBeCloseTo(0.985 - 0.995, 12)
    expect(pay.change.budgetSpent).toBeCloseTo(0.25, 12)
    expect(pay.contributors).toEqual({
      top: { key: 'http.route', value: '/pay', budgetShare: 1, exampleTraceId: expect.stringMatching(/^(ab){15}0[123]$/) },
      from: '2026-11-23T00:00:00.000Z', to: '2026-11-30T00:00:00.000Z',
    })

    const latency = sloOf(body, 'payments-latency')
    expect(latency).toMatchObject({
      // Rolled up from this Monday on: the week before is not in its rollups, nor in its evaluations.
      sli: 0.97, sliOver: 'period', events: { total: 10_000, bad: 300 }, met: true, budgetRemaining: 0.6, budgetSpent: null,
      previous: { sli: null, sliOver: null, events: null, met: null }, change: { sli: null, met: null, alerts: 1 },
      // still firing: counted up to the week's end
      alerts: [{ severity: 'page', firedAt: '2026-11-29T22:00:00.000Z', resolvedAt: null, durationSeconds: 7200 }],
    })
    // Without rollups, the closing evaluation's SLI over the SLO's window; without either, no SLI.
    expect(sloOf(body, 'billing-availability')).toMatchObject({ sli: 0.993, sliOver: 'window', events: null })
    expect(sloOf(body, 'search-availability')).toMatchObject({ evaluatedAt: null, sli: null, sliOver: null, met: null, alerts: [{ severity: 'page', firedAt: '2026-11-25T02:00:00.000Z', resolvedAt: '2026-11-25T02:10:00.000Z', durationSeconds: 600 }] })
    expect(body.summary).toEqual({ slos: 4, met: 2, missed: 1, noData: 1, alertsFired: 3, alertSeconds: 13_200 })
    expect(body.teams.map((t: any) => [t.team, t.services.map((s: any) => s.service)])).toEqual([['billing', ['billing']], ['payments', ['payments']], [null, ['search']]])
  })

  it('renders the markdown docs/reports.md shows', async () => {
    const { body } = await get('period=week&end=2026-12-01T00:00:00Z&label=team:payments')
    const docs = readFileSync(new URL('../../docs/reports.md', import.meta.url), 'utf8')
    expect(docs).toContain(`\`\`\`markdown\n${reportMarkdown(body)}\`\`\``)
  })

  it('counts a calendar window\'s budget from its restart', async () => {
    // November opens with a fresh budget (1), not October's close (0.2): 0.7 spent in the month.
    const month = sloOf((await get('period=month&end=2026-12-01T00:00:00Z&service=billing')).body, 'billing-availability')
    expect(month).toMatchObject({ budgetRemaining: 0.3, budgetSpent: 0.7, previous: { budgetRemaining: 0.2, budgetSpent: null } })
    // Within the month, a week opens with the previous week's close: 0.5 → 0.3.
    expect(sloOf((await get('period=week&end=2026-11-30T00:00:00Z&service=billing')).body, 'billing-availability')).toMatchObject({ budgetSpent: 0.2 })
  })

  it('filters by label or service', async () => {
    expect(slosOf((await get('period=week&end=2026-11-30T00:00:00Z&label=team:payments')).body).map((s: any) => s.id)).toEqual(['payments-availability', 'payments-latency'])
    const search = (await get('period=week&end=2026-11-30T00:00:00Z&service=search')).body
    expect(slosOf(search).map((s: any) => s.id)).toEqual(['search-availability'])
    expect(search.filter).toEqual({ service: 'search' })
  })
})

describe('GET /api/v1/reports?period=month', () => {
  it('opens the month with October\'s last evaluation and attributes its last 7 days only, saying so', async () => {
    const { body } = await get('period=month&end=2026-12-01T00:00:00Z')
    expect([body.from, body.to, body.previous.from]).toEqual(['2026-11-01T00:00:00.000Z', '2026-12-01T00:00:00.000Z', '2026-10-01T00:00:00.000Z'])
    const pay = sloOf(body, 'payments-availability')
    // November closes with the evaluation of Nov 30 00:00 (remaining -1); October with Oct 31 (remaining 1): 2 budgets spent.
    expect(pay).toMatchObject({ evaluatedAt: '2026-11-30T00:00:00.000Z', sli: 0.9, met: false, budgetRemaining: -1, budgetSpent: 2, previous: { sli: 0.999, met: true, budgetRemaining: 1, budgetSpent: null }, change: { met: 'lost', alerts: 2 } })
    expect(pay.alerts.map((a: any) => a.durationSeconds)).toEqual([1200, 5400])
    // The page of Nov 30 01:00 is still firing: counted up to the month's end, 23 h.
    expect(sloOf(body, 'search-availability').alerts).toEqual([
      { severity: 'page', firedAt: '2026-11-25T02:00:00.000Z', resolvedAt: '2026-11-25T02:10:00.000Z', durationSeconds: 600 },
      { severity: 'page', firedAt: '2026-11-30T01:00:00.000Z', resolvedAt: null, durationSeconds: 23 * 3600 },
    ])
    expect(pay.contributors.from).toBe('2026-11-24T00:00:00.000Z')
    expect(body.notes).toEqual(['contributors: attribution reads the last 7 days of the period only (api.reads.maxRangeDays)'])
  })
})

describe('bad requests and failing reads', () => {
  it('answers 400 naming the parameter', async () => {
    for (const [query, name] of [['', 'period'], ['period=year', 'period'], ['period=week&end=yesterday', 'end'], ['period=week&label=team', 'label']]) {
      const { status, body } = await get(query!)
      expect(status, query).toBe(400)
      expect(body.error.message, query).toContain(`query parameter ${name}`)
    }
  })

  it('answers 404 when no SLO matches the filter', async () => {
    const { status, body } = await get('period=week&label=team:nobody')
    expect(status).toBe(404)
    expect(body.error.message).toBe('no SLO with label "team:nobody"')
  })

  it('reports without contributors, saying why, when attribution fails or runs out of time', async () => {
    const slos = await catalog.list()
    const request = { period: 'week' as const, atMs: T('2026-11-30T00:00:00Z'), nowMs: Date.now(), slos, filter: {} }
    const failing = await makeReport(request, { storage, attributionQuery: async () => Promise.reject(new Error('read refused')), attributionMaxRangeMs: 7 * 86_400_000, attributionBudgetMs: 5000 })
    const pay = failing.teams.flatMap((t) => t.services.flatMap((x) => x.slos)).find((r) => r.id === 'payments-availability')
    expect(pay).toMatchObject({ sli: 0.985, contributor: { skipped: 'not read: read refused' } })
    const slow = await makeReport(request, { storage, attributionQuery: () => new Promise(() => undefined), attributionMaxRangeMs: 7 * 86_400_000, attributionBudgetMs: 50 })
    expect(slow.teams.flatMap((t) => t.services.flatMap((s) => s.slos.map((r) => r.contributor)))).toEqual([
      { skipped: "not read: the report's attribution time (0.05 s) ran out" },
      { skipped: "not read: the report's attribution time (0.05 s) ran out" },
      { skipped: "not read: the report's attribution time (0.05 s) ran out" },
      { skipped: "not read: the report's attribution time (0.05 s) ran out" },
    ])
  })
})

describe('the report on a schedule to the webhook', () => {
  const alerts = (webhookUrl: string) => configSchema.parse({ alerts: { webhookUrl, webhookHeaders: { 'x-hook-token': 'secret' }, retry: { attempts: 2, initialBackoffMs: 1, maxBackoffMs: 1 } } }).alerts
  const sender = (reports: object, webhookUrl: string, leadership?: { epoch(): number | undefined }) =>
    createReportSender({ config: configSchema.parse({ reports, alerts: { webhookUrl } }).reports, alerts: alerts(webhookUrl), storage, catalog, attributionQuery: (sql, params) => storage.query(sql, params), attributionMaxRangeMs: 7 * 86_400_000, logger: createLogger('silent'), ...(leadership && { leadership }) })

  it('posts the markdown as text beside the JSON, to the alert webhook with its headers by default, on the cron schedule', async () => {
    const hook = await startHttpRecorder()
    const s = sender({ schedule: '* * * * * *' }, hook.url)!
    try {
      const [scheduled] = await hook.waitFor(1, 5000)
      expect((scheduled!.body as any).report.period).toBe('week')
      await s.stop()
      expect(await s.send(T('2026-12-01T09:00:00Z'))).toBe(true)
      const sent = hook.requests.at(-1)!
      expect(sent.headers['x-hook-token']).toBe('secret')
      const body = sent.body as any
      expect(body.text).toBe(reportMarkdown(body.report))
      expect(body.text).toContain('- **availability** (`payments-availability`): **missed**, SLI 98.500 % vs 99.000 %; budget spent 45.0 %, remaining 25.0 %')
      expect(body.report).toMatchObject({ from: '2026-11-23T00:00:00.000Z', summary: { slos: 4, met: 2, missed: 1, alertsFired: 3 } })
    } finally {
      await s.stop()
      await hook.close()
    }
  })

  it('sends to reports.webhookUrl without the alert webhook\'s headers, and follows no redirect', async () => {
    const hook = await startHttpRecorder(() => ({ status: 302, headers: { location: 'http://127.0.0.1:1/elsewhere' } }))
    const s = sender({ schedule: '0 9 * * 1', webhookUrl: hook.url }, 'http://127.0.0.1:1/alerts')!
    try {
      expect(await s.send(T('2026-12-01T09:00:00Z'))).toBe(false)
      expect(hook.requests).toHaveLength(1)
      expect(hook.requests[0]!.headers['x-hook-token']).toBeUndefined()
    } finally {
      await s.stop()
      await hook.close()
    }
  })

  it('is sent by the engine replica holding the lease only, and not if it lost the lease while building it', async () => {
    const hook = await startHttpRecorder()
    let epoch: number | undefined
    let reads = 0
    const s = sender({ schedule: '0 9 * * 1' }, hook.url, { epoch: () => (reads++ === 0 ? epoch : epoch === undefined ? undefined : epoch + 1) })!
    try {
      // A standby sends nothing.
      expect(await s.send(T('2026-12-01T09:00:00Z'))).toBe(false)
      // Epoch 3 when it starts building, 4 (lost and taken again) when it would post: not sent.
      epoch = 3
      reads = 0
      expect(await s.send(T('2026-12-01T09:00:00Z'))).toBe(false)
      expect(hook.requests).toHaveLength(0)
      // Still epoch 3 just before posting: sent.
      const steady = sender({ schedule: '0 9 * * 1' }, hook.url, { epoch: () => 3 })!
      expect(await steady.send(T('2026-12-01T09:00:00Z'))).toBe(true)
      await steady.stop()
      expect(hook.requests).toHaveLength(1)
    } finally {
      await s.stop()
      await hook.close()
    }
  })

  it('is off without a schedule, and a schedule without any webhook is a config error', () => {
    expect(sender({}, 'http://127.0.0.1:1/alerts')).toBeUndefined()
    const r = configSchema.safeParse({ reports: { schedule: '0 9 * * 1' } })
    expect(r.success).toBe(false)
    expect(r.error!.issues[0]).toMatchObject({ path: ['reports', 'webhookUrl'], message: expect.stringContaining('no webhook to send the report to') })
    expect(configSchema.safeParse({ reports: { schedule: 'every monday' }, alerts: { webhookUrl: 'http://x/' } }).error!.issues[0]!.path).toEqual(['reports', 'schedule'])
  })
})
