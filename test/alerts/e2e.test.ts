import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startAlertmanager, type RunningAlertmanager } from '../support/alertmanager.ts'
import { startCairn, type CairnServer } from '../support/cairn-process.ts'
import { startHttpRecorder, type HttpRecorder } from '../support/http-recorder.ts'
import { tempDir } from '../support/temp.ts'
import { postSpans } from '../support/otlp-spans.ts'
import { requireTool } from '../support/needs.ts'
import { checkoutPageLabels } from '../fixtures/alerts/slos.ts'

// End to end: spans sent over OTLP/HTTP to `cairn serve` → rollups and burn
// rates in the engine (evaluating every 2 seconds) → the page through a real
// Alertmanager to a webhook receiver here → good traffic → the resolve.

const dir = tempDir('cairn-e2e-alerts-')
let receiver: HttpRecorder
let am: RunningAlertmanager
let cairn: CairnServer

const SLO = `apiVersion: cairn/v1
kind: SLO
metadata: { name: availability, service: checkout, labels: { team: payments } }
spec:
  description: Checkout requests succeed
  objective: 99
  window: 30d
  sli:
    spans: { service: checkout, bad: error }
  alerting:
    name: CheckoutBudgetBurn
    runbook: https://runbooks.example.com/checkout
`

beforeAll(async () => {
  mkdirSync(join(dir.path, 'slos'))
  writeFileSync(join(dir.path, 'slos', 'checkout.yaml'), SLO)
  receiver = await startHttpRecorder(() => ({ status: 200 }))
  am = await startAlertmanager(`${receiver.url}/am`)
  cairn = await startCairn({
    CAIRN_DATA_DIR: join(dir.path, 'data'),
    CAIRN_SLO_DIR: join(dir.path, 'slos'),
    CAIRN_EVAL_SCHEDULE: '*/2 * * * * *',
    CAIRN_ALERTMANAGER_URL: am.url,
    CAIRN_ALERT_RESEND_INTERVAL_SECONDS: '5',
  })
})
afterAll(async () => {
  await cairn?.stop()
  await am?.stop()
  await receiver?.close()
  dir.remove()
})

/** `count` spans of service checkout, `errors` of them with status Error, all at `atMs`. */
const sendSpans = (count: number, errors: number, atMs: number) => postSpans(cairn.otlpUrl, 'checkout', count, errors, atMs)

interface AmAlert {
  status: string
  labels: Record<string, string>
  annotations: Record<string, string>
  startsAt: string
}

async function waitForAlert(status: 'firing' | 'resolved', severity: string, timeoutMs = 60_000): Promise<AmAlert> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const found = receiver.requests.flatMap((r) => (r.body as { alerts: AmAlert[] }).alerts).find((a) => a.status === status && a.labels.severity === severity)
    if (found) return found
    if (Date.now() > deadline) throw new Error(`no ${status} ${severity} alert from Alertmanager:\n${JSON.stringify(receiver.requests.map((r) => r.body))}\n${cairn.output().slice(-4000)}`)
    await new Promise((r) => setTimeout(r, 200))
  }
}

requireTool('alertmanager').describe('from spans to a page and its resolve', () => {
  it('pages through Alertmanager when errors burn the budget, and resolves when good traffic dilutes them', async () => {
    const at = Date.now() - 120_000
    // 50% errors against a 1% budget: burn rate 50 in every window, above every factor.
    await sendSpans(100, 50, at)
    const page = await waitForAlert('firing', 'page')
    expect(page.labels).toEqual(checkoutPageLabels())
    expect(page.annotations.summary).toBe('checkout-availability: error budget burning 50× too fast (page)')
    expect(page.annotations.burn_rates).toBe('5m=50× 30m=50× 1h=50× 2h=50× 6h=50× 1d=50× 3d=50×')
    expect(page.annotations.runbook_url).toBe('https://runbooks.example.com/checkout')
    // 50 of 100 events bad against 1 allowed: 49 over budget.
    expect(page.annotations.budget_remaining).toBe('-4900.0%')
    expect((await waitForAlert('firing', 'ticket')).labels.severity).toBe('ticket')

    const metrics = await (await fetch(`${cairn.apiUrl}/metrics`)).text()
    expect(metrics).toMatch(/^cairn_alerts_firing\{severity="page"\} 1$/m)
    expect(metrics).toMatch(/^cairn_alert_notifications_total\{notifier="alertmanager",target="[^"]+",outcome="success"\} [1-9]/m)

    // 9,900 good spans in the same minute: 50 bad of 10,000 is 0.5%, burn rate 0.5, under every factor.
    await sendSpans(9_900, 0, at)
    const resolved = await waitForAlert('resolved', 'page')
    expect(resolved.labels).toEqual(page.labels)
    expect(resolved.startsAt).toBe(page.startsAt)
    await waitForAlert('resolved', 'ticket')
    expect(await cairn.stop()).toBe(0)
  }, 120_000)
})
