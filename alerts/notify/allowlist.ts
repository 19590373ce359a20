import type { AlertsConfig } from '../../config/index.ts'
import { redactUrl } from './secrets.ts'

// Per-SLO notification URLs are written by whoever may PUT an SLO; without a
// limit, cairn would POST alert payloads (and headers) to any host it can
// reach, internal ones included. A per-SLO URL must therefore fall under an
// entry of the allow-list: same scheme, host and port, and a path at or under
// the entry's path. The global targets from configuration are always allowed;
// alerts.notifyUrlAllowlist (CAIRN_NOTIFY_URL_ALLOWLIST) adds to them.

export interface UrlAllowlist {
  readonly entries: readonly string[]
  /** Why `url` is refused, or undefined when an entry admits it. */
  check(url: string): string | undefined
}

interface Entry {
  origin: string
  path: string
}

function entryOf(url: string): Entry | undefined {
  try {
    const u = new URL(url)
    return { origin: `${u.protocol}//${u.host}`, path: u.pathname }
  } catch {
    return undefined
  }
}

function admits(entry: Entry, url: URL): boolean {
  if (`${url.protocol}//${url.host}` !== entry.origin) return false
  if (entry.path === '/' || entry.path === '') return true
  const base = entry.path.endsWith('/') ? entry.path : `${entry.path}/`
  return url.pathname === entry.path || url.pathname.startsWith(base)
}

export function urlAllowlist(entries: readonly string[], whereConfigured: string): UrlAllowlist {
  const parsed = entries.flatMap((e) => entryOf(e) ?? [])
  const shown = entries.map(redactUrl)
  return {
    entries,
    check(url) {
      let u: URL
      try {
        u = new URL(url)
      } catch {
        return `not a URL: ${JSON.stringify(redactUrl(url))}`
      }
      if (parsed.some((e) => admits(e, u))) return undefined
      const allowed = shown.length > 0 ? shown.join(', ') : 'none'
      return `${redactUrl(url)} is not an allowed notification URL (allowed: ${allowed}); add it to ${whereConfigured}`
    },
  }
}

/** The allow-list of a configuration: its global targets' URLs and alerts.notifyUrlAllowlist. */
export function notifyUrlAllowlist(config: AlertsConfig): UrlAllowlist {
  const globals = [config.alertmanagerUrl, config.pagerdutyUrl, config.webhookUrl].filter((u): u is string => u !== undefined)
  return urlAllowlist([...globals, ...config.notifyUrlAllowlist], 'alerts.notifyUrlAllowlist (CAIRN_NOTIFY_URL_ALLOWLIST)')
}
