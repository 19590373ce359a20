import { createHash } from 'node:crypto'
import type { NotifyTarget } from '../../slo-engine/index.ts'
import { alertmanagerAlert, alertmanagerAlertsUrl } from './alertmanager.ts'
import { postJson, type DeliveryResult, type FetchLike, type RetryPolicy } from './http.ts'
import type { AlertNotice } from './notice.ts'
import { PAGERDUTY_EVENTS_URL, pagerdutyEvent } from './pagerduty.ts'
import { webhookBody } from './webhook.ts'

/** One place notices are delivered to. */
export interface Notifier {
  /** Stable and free of secrets (a hash of URL and key): stored with the alert state to remember what reached it. */
  key: string
  kind: NotifyTarget['type']
  /** Host (and path) for metrics and logs, without credentials. */
  target: string
  /** Sent again while firing (Alertmanager expires alerts that are not). */
  resends: boolean
  /** Takes several notices in one request. */
  batches: boolean
  send(notices: AlertNotice[]): Promise<DeliveryResult>
}

export interface NotifierDeps {
  retry: RetryPolicy
  fetch?: FetchLike
  onRetry?: (notifier: Notifier, attempt: number, error: string, delayMs: number) => void
}

/** The host only: webhook paths often hold a token (Slack, Teams), URLs may hold user:password. */
function where(url: string): string {
  try {
    return new URL(url).host
  } catch {
    return 'invalid-url'
  }
}

const fingerprint = (secret: string) => createHash('sha256').update(secret).digest('hex').slice(0, 12)

export function createNotifier(spec: NotifyTarget, deps: NotifierDeps): Notifier {
  const post = (url: string, body: unknown, headers?: Record<string, string>) =>
    postJson(url, body, { retry: deps.retry, fetch: deps.fetch, headers, onRetry: (a, e, d) => deps.onRetry?.(notifier, a, e, d) })
  let notifier: Notifier
  switch (spec.type) {
    case 'alertmanager': {
      const url = alertmanagerAlertsUrl(spec.url)
      notifier = { key: `alertmanager:${fingerprint(spec.url)}`, kind: 'alertmanager', target: where(spec.url), resends: true, batches: true, send: (n) => post(url, n.map(alertmanagerAlert)) }
      break
    }
    case 'pagerduty': {
      const url = spec.url ?? PAGERDUTY_EVENTS_URL
      notifier = {
        key: `pagerduty:${fingerprint(`${spec.routingKey} ${url}`)}`,
        kind: 'pagerduty',
        target: where(url),
        resends: false,
        batches: false,
        send: (n) => post(url, pagerdutyEvent(n[0]!, spec.routingKey)),
      }
      break
    }
    case 'webhook':
      notifier = { key: `webhook:${fingerprint(spec.url)}`, kind: 'webhook', target: where(spec.url), resends: false, batches: false, send: (n) => post(spec.url, webhookBody(n[0]!), spec.headers) }
      break
  }
  return notifier
}
