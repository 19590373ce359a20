import { createHash } from 'node:crypto'
import type { NotifyTarget } from '../../slo-engine/index.ts'
import { alertmanagerAlert, alertmanagerAlertsUrl } from './alertmanager.ts'
import { postJson, type DeliveryResult, type FetchLike, type RetryPolicy } from './http.ts'
import { idempotencyKey, type AlertNotice } from './notice.ts'
import { PAGERDUTY_EVENTS_URL, pagerdutyEvent } from './pagerduty.ts'
import { webhookBody } from './webhook.ts'
import { MissingSecretError, resolveSecret, scrubSecrets } from './secrets.ts'

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

/**
 * Resolves the target's secrets at each delivery (a variable set or rotated
 * after start is picked up), posts, and cuts any secret out of the error text.
 */
async function deliver(secrets: () => { values: string[]; post: () => Promise<DeliveryResult> }): Promise<DeliveryResult> {
  let resolved: ReturnType<typeof secrets>
  try {
    resolved = secrets()
  } catch (err) {
    if (err instanceof MissingSecretError) return { ok: false, attempts: 0, error: err.message }
    throw err
  }
  const result = await resolved.post()
  return result.error === undefined ? result : { ...result, error: scrubSecrets(result.error, resolved.values) }
}

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
        // A key given by variable name is fingerprinted by its name: the secret never leaves the delivery.
        key: `pagerduty:${fingerprint(`${JSON.stringify(spec.routingKey)} ${url}`)}`,
        kind: 'pagerduty',
        target: where(url),
        resends: false,
        batches: false,
        send: (n) =>
          deliver(() => {
            const key = resolveSecret(spec.routingKey, 'PagerDuty routing key')
            return { values: [key], post: () => post(url, pagerdutyEvent(n[0]!, key)) }
          }),
      }
      break
    }
    case 'webhook':
      notifier = {
        key: `webhook:${fingerprint(spec.url)}`,
        kind: 'webhook',
        target: where(spec.url),
        resends: false,
        batches: false,
        send: (n) =>
          deliver(() => {
            const headers = Object.fromEntries(Object.entries(spec.headers ?? {}).map(([name, v]) => [name, resolveSecret(v, `webhook header ${name}`)]))
            // The notice's identity as the Idempotency-Key header too, unless the configuration sets that header.
            const keyed = Object.keys(headers).some((h) => h.toLowerCase() === 'idempotency-key') ? headers : { ...headers, 'idempotency-key': idempotencyKey(n[0]!) }
            return { values: Object.values(headers), post: () => post(spec.url, webhookBody(n[0]!), keyed) }
          }),
      }
      break
  }
  return notifier
}
