import { Writable } from 'node:stream'
import { pino } from 'pino'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createAlerter, type Alerter } from '../../alerts/index.ts'
import { configSchema, type AlertsConfig } from '../../config/index.ts'
import { createMetricsRegistry, type Registry } from '../../instrumentation/index.ts'
import type { Leadership, NotifyTarget, Slo, SloEvaluation } from '../../slo-engine/index.ts'
import { migrate, openStorage, type Storage } from '../../storage/index.ts'
import { alertsMigrations, loadAlertStates } from '../../alerts/index.ts'
import { checkoutPageLabels, makeSlo } from '../fixtures/alerts/slos.ts'
import { pagerdutyReply } from '../fixtures/alerts/pagerduty.ts'
import { startHttpRecorder, type HttpRecorder, type Reply } from '../support/http-recorder.ts'
import { tempDir } from '../support/temp.ts'

// The alerter against the embedded ClickHouse, a PagerDuty stand-in that
// validates every Events API v2 request, and local webhook / Alertmanager-API
// receivers. Time is a test clock: evaluations are a minute apart.

const dir = tempDir('cairn-alerter-')
let storage: Storage
beforeAll(async () => {
  storage = await openStorage(configSchema.parse({ storage: { dataDir: dir.path } }).storage)
  await migrate(storage, alertsMigrations)
})
afterAll(async () => {
  await storage?.close()
  dir.remove()
})

const ROUTING_KEY = 'R0UT1NGKEY0123456789abcdefABCDEF'
const T0 = Date.parse('2026-03-01T12:00:00Z')
const MIN = 60_000

/** Burn rates: everything at `rate`, or per window. */
function evaluation(slo: Slo, atMs: number, burnRates: Record<string, number>, budgetRemainingRatio = 0.42): SloEvaluation {
  return {
    sloId: slo.id, evaluatedAtMs: atMs, status: 'ok', objectiveRatio: slo.objectivePercent / 100, sli: 0.98, eventsTotal: 10_000, eventsBad: 200,
    budgetTotal: 10, budgetConsumed: 5.8, budgetRemainingRatio, burnRates,
  }
}
const burning = { '5m': 20, '30m': 18, '1h': 16, '2h': 9, '6h': 7, '1d': 2, '3d': 0.5 } // page (both pairs), no ticket
const calm = { '5m': 0.5, '30m': 0.5, '1h': 0.5, '2h': 0.5, '6h': 0.5, '1d': 0.5, '3d': 0.5 }

function logSink() {
  const lines: Record<string, unknown>[] = []
  const stream = new Writable({ write(chunk, _enc, cb) { for (const l of String(chunk).trim().split('\n')) lines.push(JSON.parse(l)); cb() } })
  return { logger: pino({ level: 'info' }, stream), lines }
}

interface Rig {
  alerter: Alerter
  registry: Registry
  clock: { now: number }
  lines: Record<string, unknown>[]
}

function rig(alerts: Record<string, unknown>, clockStart = T0, leadership?: Leadership): Rig {
  const clock = { now: clockStart }
  const { logger, lines } = logSink()
  const registry = createMetricsRegistry()
  const config: AlertsConfig = configSchema.parse({ alerts: { retry: { attempts: 3, initialBackoffMs: 20, maxBackoffMs: 50, timeoutMs: 2000 }, ...alerts } }).alerts
  const alerter = createAlerter({ config, storage, logger, registry, now: () => clock.now, ...(leadership && { leadership }) })
  return { alerter, registry, clock, lines }
}

async function metric(registry: Registry, name: string, labels: Record<string, string> = {}): Promise<number> {
  const m = (await registry.getMetricsAsJSON()).find((x) => x.name === name)
  const v = m?.values.find((x) => Object.entries(labels).every(([k, val]) => (x.labels as Record<string, unknown>)[k] === val))
  return v?.value ?? 0
}

/** The page alert's state as stored in cairn_alert_state (what a restart reloads). */
async function storedPage(sloId: string) {
  return (await loadAlertStates(storage)).find((s) => s.sloId === sloId && s.severity === 'page')
}

async function tick(r: Rig, slo: Slo, rates: Record<string, number>, advanceMs = MIN): Promise<void> {
  r.clock.now += advanceMs
  await r.alerter.onEvaluated(slo, evaluation(slo, r.clock.now, rates))
  await r.alerter.flush()
}

describe('alerter', () => {
  let pd: HttpRecorder
  let hook: HttpRecorder
  let am: HttpRecorder
  beforeAll(async () => {
    pd = await startHttpRecorder(pagerdutyReply)
    hook = await startHttpRecorder(() => ({ status: 204 }))
    am = await startHttpRecorder(() => ({ status: 200 }))
  })
  afterAll(async () => {
    await Promise.all([pd?.close(), hook?.close(), am?.close()])
  })

  it('pages once, resends to Alertmanager while firing, and resolves every target; a restart pages nobody twice', async () => {
    const slo = makeSlo({
      name: 'availability', service: 'checkout', labels: { team: 'payments' }, description: 'Checkout requests succeed',
      alerting: { ...makeSlo({ name: 'x', service: 'x' }).alerting, name: 'CheckoutBudgetBurn', runbook: 'https://runbooks.example.com/checkout' },
    })
    const config = { alertmanagerUrl: am.url, pagerdutyRoutingKey: ROUTING_KEY, pagerdutyUrl: `${pd.url}/v2/enqueue`, webhookUrl: `${hook.url}/hook`, webhookHeaders: { authorization: 'Bearer s3cret' }, resendIntervalSeconds: 120, dashboardUrl: 'https://grafana.example.com/d/slo?var-slo={slo}' }
    const first = rig(config)
    await first.alerter.start()
    const pd0 = pd.requests.length, hook0 = hook.requests.length, am0 = am.requests.length

    await tick(first, slo, burning) // 12:01 fires
    const firedAt = first.clock.now
    expect(first.alerter.states().find((s) => s.severity === 'page')).toMatchObject({ status: 'firing', firedAtMs: firedAt })
    expect(first.alerter.states().find((s) => s.severity === 'ticket')).toMatchObject({ status: 'inactive' })

    const trigger = pd.requests[pd0]!
    expect(trigger.body).toMatchObject({
      routing_key: ROUTING_KEY, event_action: 'trigger', dedup_key: 'cairn/checkout-availability/page',
      payload: { source: 'cairn', severity: 'critical', component: 'checkout', group: 'checkout-availability', class: 'slo-burn-rate', timestamp: new Date(firedAt).toISOString() },
      links: [{ href: 'https://runbooks.example.com/checkout', text: 'Runbook' }, { href: 'https://grafana.example.com/d/slo?var-slo=checkout-availability', text: 'Dashboard' }],
    })
    // Forecast at the 1h rate (16, faster than 1d's 2): 0.42 × 30d ÷ 16 = 18h54m after the evaluation at 12:01.
    const exhaustedAt = '2026-03-02T06:55:00.000Z'
    expect((trigger.body as { payload: { custom_details: Record<string, unknown> } }).payload.custom_details).toMatchObject({ budgetExhaustedAt: exhaustedAt, budgetRemainingRatio: 0.42 })
    const summary = (trigger.body as { payload: { summary: string } }).payload.summary
    expect(summary).toBe('checkout-availability: error budget burning 16× too fast (page)')

    const amAlert = (am.requests[am0]!.body as Record<string, unknown>[])[0]!
    expect(am.requests[am0]!.path).toBe('/api/v2/alerts')
    // The labels of the generated rule's alert (Sloth's included), so Alertmanager sees one alert from either.
    expect(amAlert.labels).toEqual(checkoutPageLabels())
    expect(amAlert.startsAt).toBe(new Date(firedAt).toISOString())
    // Valid for four resend intervals, so Alertmanager keeps it while cairn is up.
    expect(amAlert.endsAt).toBe(new Date(firedAt + 4 * 120_000).toISOString())
    expect(amAlert.annotations).toEqual({
      summary: 'checkout-availability: error budget burning 16× too fast (page)',
      description:
        'Checkout requests succeed. burn rate 16× over 1h and 20× over 5m (threshold 14.4×: 2% of the 30d budget in 1h); ' +
        'burn rate 7× over 6h and 18× over 30m (threshold 6×: 5% of the 30d budget in 6h). Error budget remaining: 42.0% of 30d; ' +
        `at the current burn rate, runs out at ${exhaustedAt}. Objective 99.9%.`,
      burn_rates: '5m=20× 30m=18× 1h=16× 2h=9× 6h=7× 1d=2× 3d=0.5×',
      budget_remaining: '42.0%',
      budget_exhausted_at: exhaustedAt,
      runbook_url: 'https://runbooks.example.com/checkout',
      dashboard: 'https://grafana.example.com/d/slo?var-slo=checkout-availability',
    })

    const fired = hook.requests[hook0]!
    expect(fired.path).toBe('/hook')
    expect(fired.headers.authorization).toBe('Bearer s3cret')
    expect(fired.body).toMatchObject({ version: '1', status: 'firing', dedupKey: 'cairn/checkout-availability/page', alert: { name: 'CheckoutBudgetBurn', slo: 'checkout-availability', severity: 'page', endsAt: null }, evaluation: { budgetExhaustedAt: exhaustedAt } })

    await tick(first, slo, burning) // 12:02: within the resend interval: nothing new
    expect([pd.requests.length - pd0, hook.requests.length - hook0, am.requests.length - am0]).toEqual([1, 1, 1])
    await tick(first, slo, burning) // 12:03: 2 minutes since the last send: Alertmanager only
    expect([pd.requests.length - pd0, hook.requests.length - hook0, am.requests.length - am0]).toEqual([1, 1, 2])
    await first.alerter.stop()

    // A new process over the same store: the page is remembered, nobody is paged again.
    const second = rig(config, first.clock.now)
    await second.alerter.start()
    expect(second.alerter.states().find((s) => s.severity === 'page')).toMatchObject({ status: 'firing', firedAtMs: firedAt })
    await tick(second, slo, burning) // 12:04: last Alertmanager send was 12:03
    expect([pd.requests.length - pd0, hook.requests.length - hook0, am.requests.length - am0]).toEqual([1, 1, 2])

    await tick(second, slo, calm) // 12:05 resolves
    const resolvedAt = second.clock.now
    expect(pd.requests.slice(pd0).map((r) => r.body)).toEqual([trigger.body, { routing_key: ROUTING_KEY, event_action: 'resolve', dedup_key: 'cairn/checkout-availability/page' }])
    const amResolved = (am.requests.at(-1)!.body as Record<string, unknown>[])[0]!
    expect(amResolved).toMatchObject({ labels: amAlert.labels, startsAt: amAlert.startsAt, endsAt: new Date(resolvedAt).toISOString() })
    expect(hook.requests.at(-1)!.body).toMatchObject({ status: 'resolved', alert: { endsAt: new Date(resolvedAt).toISOString() } })
    expect(pd.requests.slice(pd0).every((r) => r.body && (r.body as { routing_key: string }).routing_key === ROUTING_KEY)).toBe(true)

    await tick(second, slo, calm) // nothing more to say
    expect([pd.requests.length - pd0, hook.requests.length - hook0, am.requests.length - am0]).toEqual([2, 2, 3])
    expect(await metric(second.registry, 'cairn_alert_transitions_total', { severity: 'page', to: 'resolved' })).toBe(1)
    await second.alerter.stop()

    // And the resolve is remembered too.
    const third = rig(config, second.clock.now)
    await third.alerter.start()
    await tick(third, slo, calm)
    expect([pd.requests.length - pd0, hook.requests.length - hook0, am.requests.length - am0]).toEqual([2, 2, 3])
    expect(first.lines.some((l) => l.msg === 'alert fired' && l.slo === 'checkout-availability')).toBe(true)
    expect(JSON.stringify([...first.lines, ...second.lines])).not.toContain(ROUTING_KEY)
  })

  it('waits out `for` before firing, and forgets a condition that clears first', async () => {
    const base = makeSlo({ name: 'x', service: 'x' }).alerting
    const slo = makeSlo({ name: 'for', service: 'search', alerting: { ...base, name: 'SearchBudgetBurn', page: { ...base.page, forSeconds: 120 } } })
    const r = rig({ webhookUrl: `${hook.url}/for` })
    await r.alerter.start()
    const sent = () => hook.requests.filter((q) => q.path === '/for').length
    await tick(r, slo, burning)
    expect(r.alerter.states().find((s) => s.sloId === slo.id && s.severity === 'page')!.status).toBe('pending')
    await tick(r, slo, calm)
    expect(r.alerter.states().find((s) => s.sloId === slo.id && s.severity === 'page')!.status).toBe('inactive')
    await tick(r, slo, burning) // pending since now
    await tick(r, slo, burning) // 1 minute
    expect(sent()).toBe(0)
    await tick(r, slo, burning) // 2 minutes: fires
    expect(sent()).toBe(1)
    expect(r.alerter.states().find((s) => s.sloId === slo.id && s.severity === 'page')).toMatchObject({ status: 'firing', activeSinceMs: r.clock.now - 2 * MIN, firedAtMs: r.clock.now })
    await r.alerter.stop()
  })

  it('retries PagerDuty on 503 and 429 with backoff, honouring Retry-After', async () => {
    const replies: Reply[] = [{ status: 503 }, { status: 429, headers: { 'retry-after': '0' } }]
    const flaky = await startHttpRecorder((req, i) => replies[i] ?? pagerdutyReply(req))
    try {
      const slo = makeSlo({ name: 'retry', service: 'pay' })
      const r = rig({ pagerdutyRoutingKey: ROUTING_KEY, pagerdutyUrl: `${flaky.url}/v2/enqueue` })
      await r.alerter.start()
      await tick(r, slo, burning)
      expect(flaky.requests).toHaveLength(3)
      expect(new Set(flaky.requests.map((q) => JSON.stringify(q.body))).size).toBe(1)
      expect(await metric(r.registry, 'cairn_alert_notification_attempts_total', { notifier: 'pagerduty' })).toBe(3)
      expect(await metric(r.registry, 'cairn_alert_notifications_total', { notifier: 'pagerduty', outcome: 'success' })).toBe(1)
      expect(await metric(r.registry, 'cairn_alert_notifier_consecutive_failures', { notifier: 'pagerduty' })).toBe(0)
      expect(r.lines.filter((l) => l.msg === 'alert notice failed: retrying').map((l) => l.error)).toEqual(['HTTP 503', 'HTTP 429'])
      await tick(r, slo, burning) // delivered: not sent again
      expect(flaky.requests).toHaveLength(3)
      await r.alerter.stop()
    } finally {
      await flaky.close()
    }
  })

  it('never lets a failing or hanging target hold up evaluations or other targets, and shows it in metrics and logs', async () => {
    let release!: () => void
    const released = new Promise<void>((resolve) => (release = resolve))
    const down = await startHttpRecorder(() => ({ status: 500, body: { error: 'boom' } }))
    const hanging = await startHttpRecorder(async () => {
      await released
      return { status: 200 }
    })
    try {
      const base = makeSlo({ name: 'x', service: 'x' }).alerting
      const notifyDown: NotifyTarget[] = [{ type: 'webhook', url: `${down.url}/down` }, { type: 'webhook', url: `${hanging.url}/hang` }]
      const a = makeSlo({ name: 'a', service: 'svc', alerting: { ...base, notify: notifyDown } })
      const b = makeSlo({ name: 'b', service: 'svc', alerting: { ...base, notify: [{ type: 'alertmanager', url: am.url }] } })
      // Per-SLO URLs must be on the allow-list (only the global targets by default).
      const r = rig({ retry: { attempts: 3, initialBackoffMs: 20, maxBackoffMs: 50, timeoutMs: 60_000 }, notifyUrlAllowlist: [down.url, hanging.url, am.url] })
      await r.alerter.start()
      const am0 = am.requests.length
      r.clock.now += MIN
      const started = Date.now()
      await r.alerter.onEvaluated(a, evaluation(a, r.clock.now, burning))
      await r.alerter.onEvaluated(b, evaluation(b, r.clock.now, burning))
      expect(Date.now() - started).toBeLessThan(1000)
      await am.waitFor(am0 + 1)
      expect((am.requests[am0]!.body as { labels: { slo: string } }[])[0]!.labels.slo).toBe('svc-b')
      await down.waitFor(3)
      await new Promise((resolve) => setTimeout(resolve, 50))
      expect(down.requests).toHaveLength(3)
      expect(await metric(r.registry, 'cairn_alert_notifications_total', { notifier: 'webhook', outcome: 'failure' })).toBe(1)
      expect(await metric(r.registry, 'cairn_alert_notifier_consecutive_failures', { notifier: 'webhook', target: new URL(down.url).host })).toBe(1)
      expect(r.lines.find((l) => l.msg === 'alert notice not delivered: retried at the next evaluation')).toMatchObject({ notifier: 'webhook', attempts: 3, status: 500, error: 'HTTP 500: {"error":"boom"}' })
      // The next evaluation tries the failed target again; the hanging one is still in flight and not duplicated.
      await r.alerter.onEvaluated(a, evaluation(a, (r.clock.now += MIN), burning))
      await down.waitFor(6)
      expect(hanging.requests).toHaveLength(1)
      release()
      await r.alerter.flush()
      expect(hanging.requests).toHaveLength(1)
      expect(r.alerter.states().find((s) => s.sloId === 'svc-a' && s.severity === 'page')!.delivered).toEqual({ [Object.keys(r.alerter.states().find((s) => s.sloId === 'svc-a' && s.severity === 'page')!.delivered)[0]!]: r.clock.now })
      await r.alerter.stop()
    } finally {
      release()
      await Promise.all([down.close(), hanging.close()])
    }
  })

  it('delivers nothing to a per-SLO URL the allow-list does not admit (a spec stored before the list was narrowed), and says so once', async () => {
    const outside = await startHttpRecorder(() => ({ status: 200 }))
    try {
      const base = makeSlo({ name: 'x', service: 'x' }).alerting
      const slo = makeSlo({ name: 'outside', service: 'svc', alerting: { ...base, notify: [{ type: 'webhook', url: `http://hook:pw@${new URL(outside.url).host}/slo?token=t0ken` }] } })
      const r = rig({ webhookUrl: `${hook.url}/global` })
      await r.alerter.start()
      for (let i = 0; i < 2; i++) await r.alerter.onEvaluated(slo, evaluation(slo, (r.clock.now += MIN), burning))
      await r.alerter.flush()
      expect(outside.requests).toHaveLength(0)
      const refused = r.lines.filter((l) => String(l.msg).startsWith('notification target refused'))
      expect(refused).toHaveLength(1)
      expect(refused[0]).toMatchObject({ slo: 'svc-outside', notifier: 'webhook', url: expect.stringContaining('redacted@') })
      expect(JSON.stringify(r.lines)).not.toMatch(/pw@|t0ken/)
      await r.alerter.stop()
    } finally {
      await outside.close()
    }
  })

  it('resolves the alerts of an SLO that is no longer evaluated (removed from the catalog), then forgets it', async () => {
    const gone = makeSlo({ name: 'gone', service: 'legacy' })
    const kept = makeSlo({ name: 'kept', service: 'legacy' })
    const r = rig({ pagerdutyRoutingKey: ROUTING_KEY, pagerdutyUrl: `${pd.url}/v2/enqueue`, webhookUrl: `${hook.url}/gone` })
    await r.alerter.start()
    const pd0 = pd.requests.length
    // What the engine does per tick: every evaluation's hook, then onTickDone with the ids it evaluated.
    const engineTick = async (evaluated: [Slo, Record<string, number>][]) => {
      r.clock.now += MIN
      for (const [slo, rates] of evaluated) await r.alerter.onEvaluated(slo, evaluation(slo, r.clock.now, rates))
      await r.alerter.onTickDone(new Set(evaluated.map(([slo]) => slo.id)), r.clock.now)
      await r.alerter.flush()
    }
    await engineTick([[gone, burning], [kept, calm]])
    expect(pd.requests.slice(pd0).map((q) => (q.body as { event_action: string }).event_action)).toEqual(['trigger'])
    await engineTick([[kept, calm]]) // the first tick without it
    expect(await storedPage('legacy-gone')).toMatchObject({ status: 'resolved', resolvedAtMs: r.clock.now })
    expect(pd.requests.slice(pd0).map((q) => q.body)).toMatchObject([{ event_action: 'trigger' }, { event_action: 'resolve', dedup_key: 'cairn/legacy-gone/page' }])
    const resolved = hook.requests.filter((q) => q.path === '/gone').at(-1)!.body as { status: string; alert: { annotations: Record<string, string> }; evaluation: unknown }
    expect(resolved.status).toBe('resolved')
    expect(resolved.alert.annotations.resolved_reason).toMatch(/^the SLO is no longer evaluated/)
    expect(resolved.evaluation).toBeNull()
    await engineTick([[kept, calm]]) // said once
    expect(pd.requests.length - pd0).toBe(2)
    // Delivered everywhere: the alerter no longer holds the gone SLO (the stored row stays).
    expect(r.alerter.states().filter((s) => s.sloId === 'legacy-gone')).toEqual([])
    expect(r.alerter.states().filter((s) => s.sloId === 'legacy-kept').map((s) => s.severity).sort()).toEqual(['page', 'ticket'])
    await r.alerter.stop()
  })

  it('resolves a firing alert when the last computed SLO is removed (a tick with nothing evaluated)', async () => {
    const last = makeSlo({ name: 'last', service: 'only' })
    const r = rig({ webhookUrl: `${hook.url}/last` })
    await r.alerter.start()
    await tick(r, last, burning)
    await r.alerter.onTickDone(new Set([last.id]), r.clock.now)
    expect(r.alerter.states().find((s) => s.sloId === last.id && s.severity === 'page')!.status).toBe('firing')
    // The next tick evaluates nothing (no computed SLO is left): onTickDone alone closes the alert.
    r.clock.now += MIN
    await r.alerter.onTickDone(new Set(), r.clock.now)
    await r.alerter.flush()
    const sent = hook.requests.filter((q) => q.path === '/last').map((q) => q.body as { status: string; alert: { annotations: Record<string, string>; endsAt: string | null } })
    expect(sent.map((b) => b.status)).toEqual(['firing', 'resolved'])
    expect(sent[1]!.alert.endsAt).toBe(new Date(r.clock.now).toISOString())
    expect(sent[1]!.alert.annotations.resolved_reason).toMatch(/^the SLO is no longer evaluated/)
    expect(await storedPage(last.id)).toMatchObject({ status: 'resolved', resolvedAtMs: r.clock.now })
    expect(await metric(r.registry, 'cairn_alerts_firing', { severity: 'page' })).toBe(0)
    expect(r.alerter.states().filter((s) => s.sloId === last.id)).toEqual([])
    await r.alerter.stop()
  })

  it('sends only under the engine lease epoch a notice was queued in; the next leader sends what was left, once', async () => {
    const slo = makeSlo({ name: 'fenced', service: 'replicas' })
    const everything = { '5m': 20, '30m': 20, '1h': 20, '2h': 20, '6h': 20, '1d': 20, '3d': 20 } // page and ticket
    // The webhook holds the first notice (page) while the second (ticket) waits in the queue behind it.
    let releaseFirst: () => void = () => undefined
    const held = new Promise<void>((resolve) => (releaseFirst = resolve))
    const slow = await startHttpRecorder(async (_, i) => (i === 0 ? (await held, { status: 204 }) : { status: 204 }))
    const key = (b: unknown) => `${(b as { dedupKey: string }).dedupKey} ${(b as { status: string }).status}`
    try {
      let epoch: number | undefined = 1
      const leader = rig({ webhookUrl: slow.url }, T0, { epoch: () => epoch })
      await leader.alerter.start()
      leader.clock.now += MIN
      await leader.alerter.onEvaluated(slo, evaluation(slo, leader.clock.now, everything))
      await slow.waitFor(1)
      epoch = undefined // the lease is lost while the page is being sent
      releaseFirst()
      await leader.alerter.flush()
      expect(slow.requests.map((q) => key(q.body))).toEqual(['cairn/replicas-fenced/page firing'])
      expect(await metric(leader.registry, 'cairn_alert_notices_fenced_total', { notifier: 'webhook' })).toBe(1)
      // Standing by: a further evaluation (a tick under way as the lease went) sends nothing.
      await tick(leader, slo, everything)
      expect(slow.requests).toHaveLength(1)
      leader.alerter.standBy()
      expect(leader.alerter.states()).toEqual([])

      // The next leader loads the stored states: the page reached the webhook, the ticket did not.
      const next = rig({ webhookUrl: slow.url }, leader.clock.now, { epoch: () => 2 })
      await next.alerter.start()
      await tick(next, slo, everything)
      await tick(next, slo, everything)
      expect(slow.requests.map((q) => key(q.body))).toEqual(['cairn/replicas-fenced/page firing', 'cairn/replicas-fenced/ticket firing'])
      // Both replicas name one notice alike: a receiver that saw it can drop a repeat.
      expect(slow.requests.map((q) => q.headers['idempotency-key'])).toEqual(slow.requests.map((q) => (q.body as { idempotencyKey: string }).idempotencyKey))
      expect((slow.requests[0]!.body as { idempotencyKey: string }).idempotencyKey).toBe(`cairn/replicas-fenced/page/${T0 + MIN}/firing`)
      await next.alerter.stop()
    } finally {
      releaseFirst()
      await slow.close()
    }
  })

  it('leaves PromQL SLIs to Prometheus', async () => {
    const slo = makeSlo({ name: 'promql', service: 'web', sli: { kind: 'promql', form: 'raw', errorRatioQuery: 'vector(1)' } })
    const r = rig({ webhookUrl: `${hook.url}/promql` })
    await r.alerter.start()
    await tick(r, slo, burning)
    expect(r.alerter.states().filter((s) => s.sloId === slo.id)).toEqual([])
    expect(hook.requests.filter((q) => q.path === '/promql')).toHaveLength(0)
  })
})
