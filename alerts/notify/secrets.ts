import type { NotifyTarget, SecretValue, Slo } from '../../slo-engine/index.ts'

// Notification secrets (PagerDuty routing keys, webhook header values,
// credentials in URLs) are used to deliver and nowhere else: the API shows a
// placeholder (or the name of the environment variable that holds the
// secret), logs name the target's host only, and an error text a target sends
// back has any secret cut out before it is logged.

export const REDACTED = '<redacted>'

type Env = Record<string, string | undefined>

/** A notify target whose secret cannot be resolved: its variable is not set in this process. */
export class MissingSecretError extends Error {
  constructor(what: string, variable: string) {
    super(`${what}: environment variable ${variable} is not set in the process that sends alerts`)
    this.name = 'MissingSecretError'
  }
}

/** The secret itself: inline, or read from the environment variable it names. */
export function resolveSecret(value: SecretValue, what: string, env: Env = process.env): string {
  if (typeof value === 'string') return value
  const resolved = env[value.env]
  if (resolved === undefined || resolved === '') throw new MissingSecretError(what, value.env)
  return resolved
}

/** What may be shown of a secret: the name of its variable, never a value. */
export function redactSecret(value: SecretValue): SecretValue {
  return typeof value === 'string' ? REDACTED : { env: value.env }
}

/** A URL without what may be a credential: user and password, and the values of its query. */
export function redactUrl(url: string): string {
  let u: URL
  try {
    u = new URL(url)
  } catch {
    return REDACTED
  }
  if (u.username || u.password) {
    u.username = 'redacted'
    u.password = ''
  }
  for (const key of [...new Set(u.searchParams.keys())]) u.searchParams.set(key, 'redacted')
  return u.toString()
}

export function redactNotifyTarget(target: NotifyTarget): NotifyTarget {
  switch (target.type) {
    case 'alertmanager':
      return { type: 'alertmanager', url: redactUrl(target.url) }
    case 'pagerduty':
      return { type: 'pagerduty', routingKey: redactSecret(target.routingKey), ...(target.url !== undefined && { url: redactUrl(target.url) }) }
    case 'webhook':
      return {
        type: 'webhook',
        url: redactUrl(target.url),
        ...(target.headers && { headers: Object.fromEntries(Object.entries(target.headers).map(([k, v]) => [k, redactSecret(v)])) }),
      }
  }
}

/** The SLO as readers may see it: its notification targets without their secrets. */
export function redactSlo(slo: Slo): Slo {
  const notify = slo.alerting.notify
  return notify === undefined ? slo : { ...slo, alerting: { ...slo.alerting, notify: notify.map(redactNotifyTarget) } }
}

/** `text` with every occurrence of each secret replaced (a target may echo what it was sent). */
export function scrubSecrets(text: string, secrets: readonly string[]): string {
  let out = text
  for (const secret of secrets) if (secret.length >= 4) out = out.split(secret).join(REDACTED)
  return out
}
