import { z } from 'zod'
import { parseDuration } from '../duration.ts'
import type { AttributeMatcher, CalendarPeriod, MatchOp, SloAlerting, StringMatcher } from '../model.ts'

// Pieces of schema every spec format shares.

/** Prometheus label names: labels end up on generated rules and /metrics. */
export const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/
/** SLO names and services: they form the id, which appears in URLs, label values and file names. */
export const ID_PART = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/

export const idPart = (what: string) =>
  z.string({ error: `expected the ${what} as a string` }).regex(ID_PART, `expected the ${what}: letters, digits, ".", "_" or "-", starting with a letter or digit`)

const scalar = z.union([z.string(), z.number(), z.boolean()], { error: 'expected a string, number or boolean value' }).transform(String)

/** A label map; scalar values are taken as strings, as Sloth (Go's YAML into map[string]string) does. */
export const labelMap = z
  .record(z.string().regex(LABEL_NAME, 'expected label names of letters, digits and _, not starting with a digit'), scalar)
  .default({})

/** Annotations: any keys, scalar values. */
export const annotationMap = z.record(z.string(), scalar).default({})

/** A duration string ("5m", "1h30m", "30d") as seconds, a whole number of minutes. */
export const minutesDuration = (what: string, otherwise = '') =>
  z
    .string({ error: `expected ${what} as a duration such as 5m, 1h or 30d${otherwise}` })
    .transform((text, ctx) => {
      const seconds = parseDuration(text)
      if (seconds === undefined || seconds <= 0) {
        ctx.addIssue({ code: 'custom', message: `expected ${what} as a duration such as 5m, 1h or 30d${otherwise}` })
        return z.NEVER
      }
      if (seconds % 60 !== 0) {
        ctx.addIssue({ code: 'custom', message: `expected ${what} in whole minutes (cairn rolls events up per minute)` })
        return z.NEVER
      }
      return seconds
    })

/** An objective in percent, strictly between 0 and 100 (100% leaves no error budget to burn). */
export const objectivePercent = z
  .number({ error: 'expected the objective as a percentage, e.g. 99.9' })
  .gt(0, 'expected an objective above 0 and below 100 (percent)')
  .max(100, 'expected an objective above 0 and below 100 (percent)')
  .refine((v) => v !== 100, 'expected an objective below 100: 100% leaves no error budget, so budgets and burn rates are undefined')

/** A valid RE2 pattern as far as JavaScript can tell, without the JS-only constructs RE2 rejects. */
export function regexProblem(pattern: string): string | undefined {
  if (/\(\?<?[=!]/.test(pattern)) return 'look-around assertions are not supported (ClickHouse matches with RE2)'
  if (/\\[1-9]/.test(pattern)) return 'back-references are not supported (ClickHouse matches with RE2)'
  try {
    new RegExp(pattern, 'u')
  } catch (err) {
    return `not a valid regular expression: ${(err as Error).message.replace(/^Invalid regular expression: /, '')}`
  }
  return undefined
}

const MATCH_OPS: readonly MatchOp[] = ['eq', 'neq', 're', 'nre']

/** A string matcher: a scalar means "equal"; `{ neq: x }`, `{ re: x }`, `{ nre: x }` the others. */
export const stringMatcher = z
  .union([scalar, z.record(z.string(), scalar)], { error: 'expected a value, or a mapping with one of eq, neq, re, nre' })
  .transform((input, ctx): StringMatcher => {
    if (typeof input === 'string') return { op: 'eq', value: input }
    const entries = Object.entries(input)
    const [op, value] = entries[0] ?? []
    if (entries.length !== 1 || !MATCH_OPS.includes(op as MatchOp)) {
      ctx.addIssue({ code: 'custom', message: 'expected exactly one of eq, neq, re (regex) or nre (not regex)' })
      return z.NEVER
    }
    if (op === 're' || op === 'nre') {
      const problem = regexProblem(value!)
      if (problem) {
        ctx.addIssue({ code: 'custom', message: problem, path: [op] })
        return z.NEVER
      }
    }
    return { op: op as MatchOp, value: value! }
  })

/** Attribute matchers as a mapping of attribute key to matcher. */
export const attributeMatchers = z
  .record(z.string().min(1, 'expected a non-empty attribute key'), stringMatcher)
  .default({})
  .transform((m): AttributeMatcher[] => Object.entries(m).map(([key, matcher]) => ({ key, ...matcher })))

export const CALENDAR_PERIODS: readonly CalendarPeriod[] = ['day', 'week', 'month', 'quarter', 'year']

/** True when `timeZone` is an IANA zone name this runtime knows. */
export function isTimeZone(timeZone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone })
    return true
  } catch {
    return false
  }
}

export const timeZone = z
  .string({ error: 'expected an IANA time zone name such as Europe/Berlin' })
  .refine(isTimeZone, 'expected an IANA time zone name such as Europe/Berlin or UTC')

/** Alert name for SLOs that do not give one: the id in PascalCase, e.g. checkout-availability → CheckoutAvailabilityBudgetBurn. */
export function defaultAlertName(id: string): string {
  const words = id.split(/[^A-Za-z0-9]+/).filter(Boolean)
  const name = words.map((w) => w[0]!.toUpperCase() + w.slice(1)).join('')
  return `${/^[0-9]/.test(name) ? 'Slo' : ''}${name}BudgetBurn`
}

/** Alerting with no labels or annotations of its own, page and ticket both on or both off. */
export function plainAlerting(name: string, enabled: boolean): SloAlerting {
  return {
    name,
    labels: {},
    annotations: {},
    page: { enabled, labels: {}, annotations: {} },
    ticket: { enabled, labels: {}, annotations: {} },
  }
}

/** Percent from a ratio without float noise (0.999 × 100 = 99.9, not 99.89999999999999). */
export function ratioToPercent(ratio: number): number {
  return Number((ratio * 100).toPrecision(12))
}
