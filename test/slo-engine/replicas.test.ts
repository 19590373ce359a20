import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { configSchema } from '../../config/index.ts'
import { createLogger, createMetricsRegistry } from '../../instrumentation/index.ts'
import { migrate, openStorage, otelTables, type Storage } from '../../storage/index.ts'
import { allMigrations } from '../../cli/index.ts'
import { createCollector, type Collector } from '../../collector/index.ts'
import { startClickHouseShim, type ClickHouseShim } from '../support/clickhouse-http-shim.ts'
import { startAlertmanager, type RunningAlertmanager } from '../support/alertmanager.ts'
import { startCairn, type CairnServer } from '../support/cairn-process.ts'
import { startHttpRecorder, type HttpRecorder, type RecordedRequest } from '../support/http-recorder.ts'
import { requireTool } from '../support/needs.ts'
import { tempDir } from '../support/temp.ts'
import { postSpans } from '../support/otlp-spans.ts'

// Two `cairn engine` processes against one ClickHouse server (the HTTP shim on
// chDB): one holds the lease and ticks, the other stands by. An SLO burns →
// exactly one page per alert at PagerDuty, the webhook and through a real
// Alertmanager; evaluations are written once per tick and count every span
// once. kill -9 the leader → the standby leads within one tick interval, goes
// on evaluating and resending, pages nobody twice, and sends the resolves.
// SIGTERM of a leader hands over at once (it releases the lease).

const dir = tempDir('cairn-replicas-')
const TICK_MS = 5000
const SLO = `apiVersion: cairn/v1
kind: SLO
metadata: { name: availability, service: checkout }
spec:
  objective: 99
  window: 30d
  sli:
    spans: { service: checkout, bad: error }
`

let shim: ClickHouseShim
let storage: Storage
let collector: Collector
let otlpUrl: string
let targets: HttpRecorder
let am: RunningAlertmanager
const engines: Record<string, CairnServer> = {}

beforeAll(async () => {
  mkdirSync(join(dir.path, 'slos'))
  writeFileSync(join(dir.path, 'slos', 'checkout.yaml'), SLO)
  shim = await startClickHouseShim({ dataDir: join(dir.path, 'clickhouse') })
  const config = configSchema.parse({ storage: { clickhouse: { url: shim.url, database: 'cairn' } } })
  storage = await openStorage(config.storage)
  await migrate(storage, allMigrations(config), otelTables(config.storage.ttlDays))
  collector = createCollector({
    config: configSchema.parse({ collector: { port: 0, flushIntervalMs: 20 } }).collector,
    host: '127.0.0.1',
    storage,
    logger: createLogger('silent'),
    registry: createMetricsRegistry(),
  })
  otlpUrl = `http://127.0.0.1:${await collector.start()}`
  targets = await startHttpRecorder(() => ({ status: 202, body: { status: 'success' } }))
  am = await startAlertmanager(`${targets.url}/am`)
})
afterAll(async () => {
  for (const engine of Object.values(engines)) await engine.stop()
  await am?.stop()
  await targets?.close()
  await collector?.stop()
  await storage?.close()
  await shim?.close()
  dir.remove()
})

function startEngine(id: string): Promise<CairnServer> {
  return startCairn(
    {
      CAIRN_CLICKHOUSE_URL: shim.url,
      CAIRN_CLICKHOUSE_DATABASE: 'cairn',
      CAIRN_SLO_DIR: join(dir.path, 'slos'),
      CAIRN_EVAL_SCHEDULE: '*/5 * * * * *',
      CAIRN_ENGINE_LEASE_TTL: '2s',
      CAIRN_ENGINE_REPLICA_ID: id,
      CAIRN_ALERTMANAGER_URL: am.url,
      CAIRN_ALERT_RESEND_INTERVAL_SECONDS: '5',
      CAIRN_PAGERDUTY_ROUTING_KEY: 'routing-key-for-tests',
      CAIRN_PAGERDUTY_URL: `${targets.url}/pd`,
      CAIRN_ALERT_WEBHOOK_URL: `${targets.url}/hook`,
      CAIRN_SELF_TRACES: 'off',
    },
    'engine',
  )
}

/** `count` spans of checkout at `atMs`, the first `errors` of them failed. */
const sendSpans = (count: number, errors: number, atMs: number) => postSpans(otlpUrl, 'checkout', count, errors, atMs)

async function metric(engine: CairnServer, name: string): Promise<number> {
  const text = await (await fetch(`${engine.apiUrl}/metrics`)).text()
  const line = text.split('\n').find((l) => l.startsWith(`${name} `) || l.startsWith(`${name}{`))
  return line === undefined ? NaN : Number(line.slice(line.lastIndexOf(' ') + 1))
}

const sent = (path: string) => targets.requests.filter((r) => r.path === path)
type PdEvent = { event_action: string; dedup_key: string }
type Hook = { status: string; dedupKey: string }
type AmNotification = { status: string; groupLabels: Record<string, string> }
/** Requests to a target, as "key action" lines, sorted. */
const pd = () => sent('/pd').map((r) => `${(r.body as PdEvent).dedup_key} ${(r.body as PdEvent).event_action}`).sort()
const hooks = () => sent('/hook').map((r) => `${(r.body as Hook).dedupKey} ${(r.body as Hook).status}`).sort()
const amNotifications = () => sent('/am').map((r: RecordedRequest) => `${(r.body as AmNotification).groupLabels.severity} ${(r.body as AmNotification).status}`).sort()

async function waitFor<T>(what: string, check: () => T | undefined | false | Promise<T | undefined | false>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const found = await check()
    if (found) return found
    if (Date.now() > deadline) throw new Error(`${what} not within ${timeoutMs} ms\nrequests: ${JSON.stringify(targets.requests.map((r) => [r.path, r.body]))}\n${Object.entries(engines).map(([id, e]) => `--- ${id}\n${e.output().slice(-3000)}`).join('\n')}`)
    await new Promise((r) => setTimeout(r, 100))
  }
}

async function evaluationRows(): Promise<{ rows: number; figures: string[] }> {
  const rows = await storage.query<{ total: number; bad: number; n: string }>(
    "SELECT events_total AS total, events_bad AS bad, count() AS n FROM cairn_slo_evaluations WHERE slo_id = 'checkout-availability' AND status = 'ok' GROUP BY total, bad",
  )
  return { rows: rows.reduce((s, r) => s + Number(r.n), 0), figures: rows.map((r) => `${r.total}/${r.bad}`) }
}

requireTool('alertmanager').describe('two engine replicas on one ClickHouse server', () => {
  it('page once per alert, evaluate once per tick, and survive kill -9 of the leader within one tick', async () => {
    // 50% errors against a 1% budget two minutes ago: burn rate 50 in every window, page and ticket.
    const at = Date.now() - 120_000
    await sendSpans(100, 50, at)
    // Both start at once: their claims race over HTTP, exactly one wins.
    const [x, y] = await Promise.all([startEngine('engine-x'), startEngine('engine-y')])
    Object.assign(engines, { x, y })
    const leaders = await Promise.all([x, y].map((e) => metric(e, 'cairn_engine_leader')))
    expect([...leaders].sort()).toEqual([0, 1])
    const [aId, bId] = leaders[0] === 1 ? ['x', 'y'] : ['y', 'x']
    const [a, b] = [engines[aId]!, engines[bId]!]
    expect(await metric(b, 'cairn_engine_lease_epoch')).toBe(1)
    const ready = await fetch(`${b.apiUrl}/readyz`)
    expect(ready.status).toBe(200)
    expect(((await ready.json()) as { engine: { lease: unknown } }).engine.lease).toMatchObject({ role: 'standby', replicaId: `engine-${bId}`, leader: `engine-${aId}`, epoch: 1 })

    // One page and one ticket, to each target, whoever evaluates.
    const page = 'cairn/checkout-availability/page'
    const ticket = 'cairn/checkout-availability/ticket'
    await waitFor('the pages', () => pd().length >= 2 && hooks().length >= 2 && amNotifications().length >= 2)
    // Several more ticks: the leader resends to Alertmanager, nothing else is sent again, the standby sends nothing.
    await new Promise((r) => setTimeout(r, 2 * TICK_MS))
    expect(pd()).toEqual([`${page} trigger`, `${ticket} trigger`])
    expect(hooks()).toEqual([`${page} firing`, `${ticket} firing`])
    expect(amNotifications()).toEqual(['page firing', 'ticket firing'])
    expect(await metric(b, 'cairn_engine_ticks_total')).toBe(0)
    expect(await metric(b, 'cairn_alert_notification_attempts_total')).toBeNaN()
    // Every evaluation counts each span once; one row per tick of the leader, none from the standby.
    const ticksBefore = await metric(a, 'cairn_engine_ticks_total')
    const evaluations = await evaluationRows()
    const ticksAfter = await metric(a, 'cairn_engine_ticks_total')
    expect(evaluations.figures).toEqual(['100/50'])
    expect(evaluations.rows).toBeGreaterThanOrEqual(ticksBefore - 1)
    expect(evaluations.rows).toBeLessThanOrEqual(ticksAfter)

    // kill -9 the leader: the standby leads and evaluates within one tick interval.
    const rowsAtKill = evaluations.rows
    a.child.kill('SIGKILL')
    const killedAt = Date.now()
    delete engines[aId]
    await waitFor('a new leader', async () => (await metric(b, 'cairn_engine_leader')) === 1, TICK_MS)
    const ledAfterMs = Date.now() - killedAt
    await waitFor('an evaluation by the new leader', async () => (await evaluationRows()).rows > rowsAtKill, 2 * TICK_MS)
    const evaluatedAfterMs = Date.now() - killedAt
    expect(ledAfterMs).toBeLessThan(TICK_MS)
    expect(evaluatedAfterMs).toBeLessThan(TICK_MS + 1500) // a tick's own time on this shared machine
    expect(await metric(b, 'cairn_engine_lease_epoch')).toBe(2)
    expect(b.output()).toContain('engine lease taken')

    // It resends the firing alerts to Alertmanager, and pages nobody a second time.
    await waitFor('resends from the new leader', async () => (await metric(b, 'cairn_alert_notification_attempts_total')) > 0, 2 * TICK_MS)
    const active = (await (await fetch(`${am.url}/api/v2/alerts?active=true`)).json()) as { labels: Record<string, string> }[]
    expect(active.map((x) => x.labels.severity).sort()).toEqual(['page', 'ticket'])
    await new Promise((r) => setTimeout(r, TICK_MS))
    expect(pd()).toEqual([`${page} trigger`, `${ticket} trigger`])
    expect(hooks()).toEqual([`${page} firing`, `${ticket} firing`])
    expect((await evaluationRows()).figures).toEqual(['100/50'])

    // Good traffic dilutes the errors: the new leader resolves each alert once, everywhere.
    await sendSpans(9_900, 0, at)
    await waitFor('the resolves', () => pd().length >= 4 && hooks().length >= 4 && amNotifications().length >= 4)
    await new Promise((r) => setTimeout(r, TICK_MS))
    expect(pd()).toEqual([`${page} resolve`, `${page} trigger`, `${ticket} resolve`, `${ticket} trigger`])
    expect(hooks()).toEqual([`${page} firing`, `${page} resolved`, `${ticket} firing`, `${ticket} resolved`])
    expect(amNotifications()).toEqual(['page firing', 'page resolved', 'ticket firing', 'ticket resolved'])
    // Ticks during the sends saw part of the good spans; none counted a span twice.
    const after = (await evaluationRows()).figures.map((f) => f.split('/').map(Number) as [number, number])
    expect(after.map(([, bad]) => bad)).toEqual(after.map(() => 50))
    expect(Math.max(...after.map(([total]) => total))).toBe(10_000)

    // SIGTERM of the leader: it finishes its tick, releases the lease, and a standby takes over at its next check, not a TTL later.
    engines.c = await startEngine('engine-c')
    expect(await metric(engines.c, 'cairn_engine_leader')).toBe(0)
    expect(await b.stop()).toBe(0)
    delete engines[bId]
    const stoppedAt = Date.now()
    await waitFor('the next leader after a graceful stop', async () => (await metric(engines.c!, 'cairn_engine_leader')) === 1, 2 * TICK_MS)
    expect(Date.now() - stoppedAt).toBeLessThan(2000) // the TTL
    expect(b.output()).toContain('engine lease lost')
    expect(await metric(engines.c, 'cairn_engine_lease_epoch')).toBe(3)
    await new Promise((r) => setTimeout(r, TICK_MS))
    expect(pd()).toHaveLength(4)
    expect(hooks()).toHaveLength(4)
  }, 180_000)
})
