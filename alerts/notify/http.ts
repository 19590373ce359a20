// JSON over HTTP with retries: 5xx, 429, timeouts and connection errors are
// retried with exponential backoff and jitter (Retry-After is honoured up to
// the backoff cap); other 4xx answers are final, since resending the same
// request cannot fix them. Redirects are not followed (a target that answers
// 3xx could send the payload and its secrets to a host the allow-list never
// admitted): a 3xx is a final failure. At most MAX_ERROR_BODY_BYTES of an
// answer are read, for the error message; the rest is discarded unread.

export interface RetryPolicy {
  /** Attempts in all, the first included. */
  attempts: number
  initialBackoffMs: number
  maxBackoffMs: number
  timeoutMs: number
}

export type FetchLike = (url: string, init: RequestInit) => Promise<Response>

export interface DeliveryResult {
  ok: boolean
  attempts: number
  status?: number
  /** Why the last attempt failed. */
  error?: string
}

export interface PostOptions {
  retry: RetryPolicy
  fetch?: FetchLike
  headers?: Record<string, string>
  /** Called after every failed attempt that will be retried. */
  onRetry?: (attempt: number, error: string, delayMs: number) => void
  sleep?: (ms: number) => Promise<void>
}

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))

function retryAfterMs(response: Response): number | undefined {
  const value = response.headers.get('retry-after')
  if (!value) return undefined
  const seconds = Number(value)
  if (Number.isFinite(seconds)) return seconds * 1000
  const date = Date.parse(value)
  return Number.isFinite(date) ? Math.max(0, date - Date.now()) : undefined
}

export function backoffMs(retry: RetryPolicy, attempt: number, random = Math.random): number {
  const exp = Math.min(retry.maxBackoffMs, retry.initialBackoffMs * 2 ** (attempt - 1))
  return Math.round(exp / 2 + random() * (exp / 2))
}

/** Bytes of a failed answer read for the log; a target cannot make cairn buffer more. */
export const MAX_ERROR_BODY_BYTES = 4096
const MAX_ERROR_TEXT = 300

/** The start of the answer's body as text: at most MAX_ERROR_BODY_BYTES are read, the stream is then cancelled. */
export async function responseText(response: Response, maxBytes = MAX_ERROR_BODY_BYTES): Promise<string> {
  const reader = response.body?.getReader()
  if (!reader) return ''
  const chunks: Uint8Array[] = []
  let size = 0
  try {
    while (size < maxBytes) {
      const { done, value } = await reader.read()
      if (done) break
      chunks.push(value)
      size += value.length
    }
  } catch {
    // a body cut short still tells what arrived
  } finally {
    await reader.cancel().catch(() => undefined)
  }
  const text = Buffer.concat(chunks).subarray(0, maxBytes).toString('utf8')
  return text.length > MAX_ERROR_TEXT ? `${text.slice(0, MAX_ERROR_TEXT)}…` : text
}

/**
 * `user:password@` of a URL as HTTP Basic authorization (fetch refuses URLs
 * that carry credentials, and would print them in its error): the request goes
 * to the URL without them. An Authorization header given explicitly wins.
 */
export function credentialsAsHeader(url: string, headers: Record<string, string> = {}): { url: string; headers: Record<string, string> } {
  let u: URL
  try {
    u = new URL(url)
  } catch {
    return { url, headers }
  }
  if (!u.username && !u.password) return { url, headers }
  const basic = Buffer.from(`${decodeURIComponent(u.username)}:${decodeURIComponent(u.password)}`).toString('base64')
  u.username = ''
  u.password = ''
  const explicit = Object.keys(headers).some((h) => h.toLowerCase() === 'authorization')
  return { url: u.toString(), headers: explicit ? headers : { ...headers, authorization: `Basic ${basic}` } }
}

export async function postJson(target: string, body: unknown, options: PostOptions): Promise<DeliveryResult> {
  const { retry } = options
  const { url, headers } = credentialsAsHeader(target, options.headers)
  const doFetch = options.fetch ?? fetch
  const sleep = options.sleep ?? defaultSleep
  const payload = JSON.stringify(body)
  let last: DeliveryResult = { ok: false, attempts: 0 }
  for (let attempt = 1; attempt <= retry.attempts; attempt++) {
    let delayHintMs: number | undefined
    try {
      const response = await doFetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'user-agent': 'cairn', ...headers },
        body: payload,
        signal: AbortSignal.timeout(retry.timeoutMs),
        redirect: 'manual',
      })
      if (response.ok) {
        await response.body?.cancel().catch(() => undefined)
        return { ok: true, attempts: attempt, status: response.status }
      }
      if (response.status >= 300 && response.status < 400) {
        await response.body?.cancel().catch(() => undefined)
        return { ok: false, attempts: attempt, status: response.status, error: `HTTP ${response.status}: redirects are not followed; configure the URL the target redirects to` }
      }
      const detail = await responseText(response)
      last = { ok: false, attempts: attempt, status: response.status, error: `HTTP ${response.status}${detail ? `: ${detail}` : ''}` }
      if (response.status !== 429 && response.status < 500) return last
      delayHintMs = retryAfterMs(response)
    } catch (err) {
      const e = err as Error & { cause?: { code?: string } }
      const reason = e.name === 'TimeoutError' ? `timed out after ${retry.timeoutMs} ms` : (e.cause?.code ?? e.message)
      last = { ok: false, attempts: attempt, error: reason }
    }
    if (attempt < retry.attempts) {
      const delay = Math.min(retry.maxBackoffMs, delayHintMs ?? backoffMs(retry, attempt))
      options.onRetry?.(attempt, last.error!, delay)
      await sleep(delay)
    }
  }
  return last
}
