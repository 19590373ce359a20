import { z } from '@hono/zod-openapi'
import { parseDuration } from '../slo-engine/index.ts'
import { ApiError } from './errors.ts'

// Times in query parameters, as Prometheus' HTTP API and Grafana take them:
// RFC 3339 (`2026-01-31T12:00:00Z`), Unix seconds with an optional fraction
// (`1769860800.5`), `now`, or `now-<duration>` (`now-7d`). A time outside
// 1970–2100 is refused: the stored DateTime columns end in 2106, and a number
// of milliseconds past that is no date at all.

const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/i

export const MIN_TIME_MS = 0
export const MAX_TIME_MS = Date.UTC(2100, 0, 1)

/** The calendar date of an RFC 3339 text exists (Date.parse would roll 02-30 over into March). */
function realDate(text: string): boolean {
  const [y, m, d] = text.slice(0, 10).split('-').map(Number) as [number, number, number]
  return m >= 1 && m <= 12 && d >= 1 && new Date(Date.UTC(y, m - 1, d)).getUTCDate() === d
}

/** Milliseconds since the epoch, or undefined when the text is not a time. */
export function parseTime(text: string, nowMs: number): number | undefined {
  if (text === 'now') return nowMs
  if (text.startsWith('now-')) {
    const seconds = parseDuration(text.slice(4))
    return seconds === undefined ? undefined : nowMs - seconds * 1000
  }
  if (/^\d+(\.\d+)?$/.test(text)) return Math.round(Number(text) * 1000)
  if (RFC3339.test(text) && realDate(text)) {
    const ms = Date.parse(text)
    return Number.isNaN(ms) ? undefined : ms
  }
  return undefined
}

export const TIME_HELP = 'RFC 3339, Unix seconds, now, or now-<duration> (e.g. now-7d)'

/** A query parameter holding a time; its syntax is checked here, its value by resolveRange against one `now`. */
export const timeParam = (description: string) =>
  z
    .string()
    .refine((s) => parseTime(s, Date.now()) !== undefined, { message: `expected a time: ${TIME_HELP}` })
    .optional()
    .openapi({ description: `${description} (${TIME_HELP})`, example: 'now-1h' })

function timeOf(name: 'from' | 'to', text: string, nowMs: number): number {
  const ms = parseTime(text, nowMs)
  if (ms === undefined) throw new ApiError(400, 'bad_request', `query parameter ${name}: expected a time: ${TIME_HELP}`)
  if (!(ms >= MIN_TIME_MS && ms <= MAX_TIME_MS)) {
    throw new ApiError(400, 'bad_request', `query parameter ${name}: expected a time between ${iso(MIN_TIME_MS)} and ${iso(MAX_TIME_MS)} (got ${JSON.stringify(text)})`)
  }
  return ms
}

export interface RangeRules {
  /** Length of the range when `from` is not given. */
  defaultMs: number
  /** Longest range allowed, with the setting that changes it. */
  max?: { ms: number; setting: string }
}

/** The range of `from` and `to` (default: `defaultMs` up to now), or a 400 naming the parameter at fault. */
export function resolveRange(q: { from?: string; to?: string }, nowMs: number, rules: RangeRules): { fromMs: number; toMs: number } {
  const toMs = q.to === undefined ? nowMs : timeOf('to', q.to, nowMs)
  const fromMs = q.from === undefined ? Math.max(MIN_TIME_MS, toMs - rules.defaultMs) : timeOf('from', q.from, nowMs)
  if (fromMs >= toMs) throw new ApiError(400, 'bad_request', `query parameter from (${iso(fromMs)}) must be before to (${iso(toMs)})`)
  if (rules.max && toMs - fromMs > rules.max.ms) {
    throw new ApiError(400, 'bad_request', `query parameter from: the range ${iso(fromMs)} to ${iso(toMs)} is longer than ${rules.max.ms / 3_600_000}h (${rules.max.setting}): narrow it`)
  }
  return { fromMs, toMs }
}

/** A step or window: a Prometheus duration (`5m`) or a number of seconds. */
export function parseStepSeconds(text: string): number | undefined {
  if (/^\d+(\.\d+)?$/.test(text)) return Number(text)
  return parseDuration(text)
}

export const iso = (ms: number) => new Date(ms).toISOString()
