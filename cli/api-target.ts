import { UsageError } from './command.ts'

// The commands that ask a running cairn (`cairn gate`, `cairn explain`) find it
// the same way: --url or CAIRN_URL, --token or CAIRN_TOKEN.

const DEFAULT_URL = 'http://127.0.0.1:8080'

export interface ApiTarget {
  /** The API's base URL, without a trailing slash. */
  url: string
  token?: string
}

export function apiTarget(given: { url?: string; token?: string }, env: Record<string, string | undefined>): ApiTarget {
  const url = given.url ?? (env.CAIRN_URL || DEFAULT_URL)
  if (!/^https?:\/\/[^/]/.test(url)) throw new UsageError(`--url: expected cairn's http:// or https:// API URL (got ${JSON.stringify(url)})`)
  const token = given.token ?? (env.CAIRN_TOKEN || undefined)
  return { url: url.replace(/\/+$/, ''), ...(token && { token }) }
}
