import { z } from '@hono/zod-openapi'
import { parseDuration } from '../slo-engine/index.ts'
import { ApiError } from './errors.ts'

// Times in query parameters, as Prometheus' HTTP API and Grafana take them:
// RFC 3339 (`2026-01-31T12:00:00Z`), Unix seconds with an optional fraction
// (`1769860800.5`), `now`, or `now-<duration>` (`now-7d`).

const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/i

/** Milliseconds since the epoch, or undefined when the text is not a time. */
export function parseTime(text: string, nowMs: number): number | undefined {
  if (text === 'now') return nowMs
  if (text.startsWith('now-')) {
    const seconds = parseDuration(text.slice(4))
    return seconds === undefined ? undefined : nowMs - seconds * 1000
  }
  if (/^\d+(\.\d+)?$/.test(text)) return Math.round(Number(text) * 1000)
  if (RFC3339.test(text)) {
    const ms = Date.parse(text)
    return Number.isNaN(ms) ? undefined : ms
  }
  return undefined
}

export const TIME_HELP = 'RFC 3339, Unix seconds, now, or now-<duration> (e.g. now-7d)'

/** A query parameter holding a time; validated by parsing, kept as text for the handler to resolve against one `now`. */
export const timeParam = (description: string) =>
  z
    .string()
    .refine((s) => parseTime(s, 0) !== undefined, { message: `expected a time: ${TIME_HELP}` })
    .optional()
    .openapi({ description: `${description} (${TIME_HELP})`, example: 'now-1h' })

/** A step or window: a Prometheus duration (`5m`) or a number of seconds. */
export function parseStepSeconds(text: string): number | undefined {
  if (/^\d+(\.\d+)?$/.test(text)) return Number(text)
  return parseDuration(text)
}

export const iso = (ms: number) => new Date(ms).toISOString()

/**
 * The range of `from`/`to` query parameters (already validated by timeParam),
 * resolved against one `now`: `to` defaults to now, `from` to `defaultMs`
 * before `to`. A 400 when from is not before to.
 */
export function resolveRange(q: { from?: string; to?: string }, defaultMs: number, nowMs = Date.now()): { fromMs: number; toMs: number } {
  const toMs = q.to === undefined ? nowMs : parseTime(q.to, nowMs)!
  const fromMs = q.from === undefined ? toMs - defaultMs : parseTime(q.from, nowMs)!
  if (fromMs >= toMs) throw new ApiError(400, 'bad_request', `query parameter from (${iso(fromMs)}) must be before to (${iso(toMs)})`)
  return { fromMs, toMs }
}
