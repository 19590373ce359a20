import { UsageError } from './command.ts'

// The commands that ask a running cairn (`cairn gate`, `cairn explain`, `cairn report`) find it
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

/**
 * GETs `path` (with its query) from the API and parses the JSON answer: the
 * body of a 200, or a message saying why there is none (unreachable, timed
 * out, an error answer, not JSON).
 */
export async function getApiJson(target: ApiTarget, path: string, timeoutMs: number): Promise<{ body: unknown } | { error: string }> {
  const url = `${target.url}${path}`
  let res: Response
  try {
    res = await fetch(url, { headers: { accept: 'application/json', ...(target.token && { authorization: `Bearer ${target.token}` }) }, signal: AbortSignal.timeout(timeoutMs) })
  } catch (err) {
    const e = err as Error & { cause?: { code?: string; message?: string } }
    const why = e.name === 'TimeoutError' ? `no answer within ${timeoutMs} ms` : (e.cause?.code ?? e.cause?.message ?? e.message)
    return { error: `cannot reach cairn at ${target.url}: ${why}` }
  }
  const text = await res.text()
  let body: unknown
  try {
    body = JSON.parse(text)
  } catch {
    return { error: `${url} answered HTTP ${res.status} with a body that is not JSON: ${text.slice(0, 200)}` }
  }
  if (res.status !== 200) return { error: `${url} answered HTTP ${res.status}: ${(body as { error?: { message?: string } }).error?.message ?? text.slice(0, 200)}` }
  return { body }
}

/** A --timeout value: 10s, 500ms, 2m (a bare number is seconds), at most 10 minutes. */
export function parseTimeoutMs(text: string): number {
  const m = /^(\d+)(ms|s|m)?$/.exec(text)
  const ms = m ? Number(m[1]) * ({ ms: 1, s: 1000, m: 60_000 }[m[2] ?? 's'] as number) : NaN
  if (!(ms > 0 && ms <= 600_000)) throw new UsageError(`--timeout: expected a duration such as 10s, at most 10m (got ${JSON.stringify(text)})`)
  return ms
}
