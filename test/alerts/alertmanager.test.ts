import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { alertsMigrations, createAlerter } from '../../alerts/index.ts'
import { configSchema } from '../../config/index.ts'
import { createLogger, createMetricsRegistry } from '../../instrumentation/index.ts'
import type { SloEvaluation } from '../../slo-engine/index.ts'
import { migrate, openStorage, type Storage } from '../../storage/index.ts'
import { checkoutPageLabels, makeSlo } from '../fixtures/alerts/slos.ts'
import { startAlertmanager, type RunningAlertmanager } from '../support/alertmanager.ts'
import { startHttpRecorder, type HttpRecorder } from '../support/http-recorder.ts'
import { tempDir } from '../support/temp.ts'
import { requireTool } from '../support/needs.ts'

// The engine's page and its resolve through the real Alertmanager (Debian's
// prometheus-alertmanager on loopback), routed to a webhook receiver here.

const dir = tempDir('cairn-am-alerter-')
let storage: Storage
let receiver: HttpRecorder
let am: RunningAlertmanager

beforeAll(async () => {
  storage = await openStorage(configSchema.parse({ storage: { dataDir: dir.path } }).storage)
  await migrate(storage, alertsMigrations)
  receiver = await startHttpRecorder(() => ({ status: 200 }))
  am = await startAlertmanager(`${receiver.url}/am`)
})
afterAll(async () => {
  await am?.stop()
  await receiver?.close()
  await storage?.close()
  dir.remove()
})

interface AmWebhook {
  status: string
  alerts: { status: string; labels: Record<string, string>; annotations: Record<string, string>; startsAt: string; endsAt: string }[]
}

requireTool('alertmanager').describe('paging through a real Alertmanager', () => {
  it('delivers the page with its labels and annotations, then the resolve', async () => {
    const slo = makeSlo({ name: 'availability', service: 'checkout', labels: { team: 'payments' }, alerting: { ...makeSlo({ name: 'x', service: 'x' }).alerting, name: 'CheckoutBudgetBurn', runbook: 'https://runbooks.example.com/checkout' } })
    const config = configSchema.parse({ alerts: { alertmanagerUrl: am.url, resendIntervalSeconds: 60 } }).alerts
    const alerter = createAlerter({ config, storage, logger: createLogger('silent'), registry: createMetricsRegistry() })
    await alerter.start()
    const evaluation = (burnRates: Record<string, number>): SloEvaluation => ({
      sloId: slo.id, evaluatedAtMs: Date.now(), status: 'ok', objectiveRatio: 0.999, sli: 0.97, eventsTotal: 1000, eventsBad: 30,
      budgetTotal: 1, budgetConsumed: 30, budgetRemainingRatio: -29, burnRates,
    })
    await alerter.onEvaluated(slo, evaluation({ '5m': 30, '1h': 30, '30m': 30, '6h': 30, '2h': 30, '1d': 30, '3d': 30 }))
    await alerter.flush()

    // Alertmanager holds both alerts (page and ticket) as active…
    const active = (await (await fetch(`${am.url}/api/v2/alerts?active=true`)).json()) as { labels: Record<string, string>; annotations: Record<string, string>; status: { state: string } }[]
    expect(active.map((a) => a.labels.severity).sort()).toEqual(['page', 'ticket'])
    expect(active.every((a) => a.status.state === 'active')).toBe(true)

    // …and routes them to the receiver.
    const firing = await waitForWebhook((b) => b.status === 'firing', 2)
    const page = firing.flatMap((b) => b.alerts).find((a) => a.labels.severity === 'page')!
    expect(page.labels).toEqual(checkoutPageLabels())
    expect(page.annotations.summary).toBe('checkout-availability: error budget burning 30× too fast (page)')
    expect(page.annotations.runbook_url).toBe('https://runbooks.example.com/checkout')
    expect(page.annotations.budget_remaining).toBe('-2900.0%')

    await alerter.onEvaluated(slo, evaluation({ '5m': 0, '1h': 0, '30m': 0, '6h': 0, '2h': 0, '1d': 0, '3d': 0 }))
    await alerter.flush()
    const resolved = await waitForWebhook((b) => b.status === 'resolved', 2)
    const resolvedPage = resolved.flatMap((b) => b.alerts).find((a) => a.labels.severity === 'page')!
    expect(resolvedPage.status).toBe('resolved')
    expect(resolvedPage.startsAt).toBe(page.startsAt)
    await alerter.stop()
  })
})

/** The Alertmanager webhook bodies matching `match`, once `count` have arrived. */
async function waitForWebhook(match: (body: AmWebhook) => boolean, count: number, timeoutMs = 20_000): Promise<AmWebhook[]> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const bodies = receiver.requests.map((r) => r.body as AmWebhook).filter(match)
    if (bodies.length >= count) return bodies
    if (Date.now() > deadline) throw new Error(`waited for ${count} webhook calls; got ${JSON.stringify(receiver.requests.map((r) => r.body))}\n${am.output()}`)
    await new Promise((r) => setTimeout(r, 100))
  }
}
