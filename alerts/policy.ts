import { BURN_RATE_WINDOWS, parseDuration, type AlertPolicySpec, type BurnRateWindowSpec, type Slo, type SloWindow } from '../slo-engine/index.ts'

// The one alert policy. Paging from the engine and the generated Prometheus
// rules both read `alertPolicyFor(slo)`, so they always agree.
//
// The policy is kept as budget-consumption targets (the SRE Workbook's
// multiwindow, multi-burn-rate table for a 30-day SLO): "page when 2% of the
// period's error budget is spent within 1 hour (checked against 5 minutes)",
// and so on. The burn-rate factor is never typed in: it is derived as
// budgetPercent/100 × period / longWindow (30d → 14.4, 6, 3, 1).

export type Severity = 'page' | 'ticket'
export type Speed = 'quick' | 'slow'

export const SEVERITIES: readonly Severity[] = ['page', 'ticket']
export const SPEEDS: readonly Speed[] = ['quick', 'slow']

/** The period the reference table is written for. */
export const REFERENCE_PERIOD_SECONDS = 30 * 86400

const MINUTE = 60
const HOUR = 3600
const DAY = 86400

/** The SRE Workbook's table for a 30-day SLO, as data. */
export const REFERENCE_POLICY: AlertPolicySpec = {
  page: {
    quick: { budgetPercent: 2, shortWindowSeconds: 5 * MINUTE, longWindowSeconds: 1 * HOUR },
    slow: { budgetPercent: 5, shortWindowSeconds: 30 * MINUTE, longWindowSeconds: 6 * HOUR },
  },
  ticket: {
    quick: { budgetPercent: 10, shortWindowSeconds: 2 * HOUR, longWindowSeconds: 1 * DAY },
    slow: { budgetPercent: 10, shortWindowSeconds: 6 * HOUR, longWindowSeconds: 3 * DAY },
  },
}

/** A scaled window within this share of a standard burn-rate window snaps to it (28d keeps 1h, 6h, 1d, 3d). */
const SNAP_TOLERANCE = 0.1
/** No window shorter than the shortest standard one: rates over less are noise. */
const MIN_WINDOW_SECONDS = 5 * MINUTE

/** One window pair of a resolved policy, with its derived factor. */
export interface AlertWindowPair {
  severity: Severity
  speed: Speed
  budgetPercent: number
  shortWindowSeconds: number
  longWindowSeconds: number
  /** Burn rate (error rate ÷ allowed error rate) both windows must exceed. */
  burnRateFactor: number
}

export type PolicySource = 'reference' | 'derived' | 'windows-file' | 'slo'

/** The policy as it applies to one SLO period. */
export interface AlertPolicy {
  periodSeconds: number
  source: PolicySource
  pairs: AlertWindowPair[]
}

/** Windows files (Sloth AlertWindows) by period, as `cairn rules --windows` and the config give them. */
export type PolicyOverrides = ReadonlyMap<number, AlertPolicySpec>

const STANDARD_WINDOW_SECONDS = BURN_RATE_WINDOWS.map((w) => parseDuration(w)!)

/**
 * Nominal length of an SLO's period: a rolling window's own length; for
 * calendar windows a fixed nominal length (month = 30d, quarter = 90d, year =
 * 365d), so thresholds and generated rules do not change from one month to the next.
 */
export function periodSeconds(window: SloWindow): number {
  if (window.kind === 'rolling') return window.seconds
  const days = { day: 1, week: 7, month: 30, quarter: 90, year: 365 }[window.period]
  return days * DAY
}

/** The burn-rate factor of a budget-consumption target: budget% of the period spent within the long window. */
export function burnRateFactor(budgetPercent: number, periodSecs: number, longWindowSeconds: number): number {
  // In hours and in Sloth's order (percent × period hours ÷ 100, then ÷ long
  // window hours), so the float is the one Sloth writes: 3% of 30d over 1h is
  // 21.6 (0.03 × 720 would be 21.599999999999998); 28d gives 5.6000000000000005.
  return (budgetPercent * (periodSecs / 3600)) / 100 / (longWindowSeconds / 3600)
}

/**
 * A float as Sloth (Go's `%v`) and Prometheus print it: the shortest text that
 * reads back as the same float, in exponent form below 1e-4 or from 1e21
 * (`1e-05`, with at least two exponent digits). Rule expressions print factors
 * this way, so the rules compare against the very float the engine compares against.
 */
export function promFloat(value: number): string {
  if (!Number.isFinite(value)) return value > 0 ? '+Inf' : value < 0 ? '-Inf' : 'NaN'
  const abs = Math.abs(value)
  if (value === 0 || (abs >= 1e-4 && abs < 1e21)) return String(value)
  const [mantissa, exp] = value.toExponential().split('e') as [string, string]
  const sign = exp.startsWith('-') ? '-' : '+'
  return `${mantissa}e${sign}${exp.replace(/^[-+]/, '').padStart(2, '0')}`
}

/**
 * Scales a reference window to another period: proportional to the period,
 * snapped to a standard burn-rate window when within 10% of one (so 28d keeps
 * the 30-day windows, as Sloth does), otherwise rounded to whole minutes; never
 * under 5 minutes.
 */
export function scaleWindow(referenceSeconds: number, periodSecs: number): number {
  const scaled = (referenceSeconds * periodSecs) / REFERENCE_PERIOD_SECONDS
  let best: number | undefined
  for (const standard of STANDARD_WINDOW_SECONDS) {
    const off = Math.abs(scaled - standard) / standard
    if (off <= SNAP_TOLERANCE && (best === undefined || off < Math.abs(scaled - best) / best)) best = standard
  }
  const seconds = best ?? Math.round(scaled / MINUTE) * MINUTE
  return Math.max(seconds, MIN_WINDOW_SECONDS)
}

/** The reference table scaled to `periodSecs`: same budget shares, windows scaled, factors derived. */
export function derivePolicySpec(periodSecs: number): AlertPolicySpec {
  const scale = (w: BurnRateWindowSpec): BurnRateWindowSpec => ({
    budgetPercent: w.budgetPercent,
    shortWindowSeconds: scaleWindow(w.shortWindowSeconds, periodSecs),
    longWindowSeconds: scaleWindow(w.longWindowSeconds, periodSecs),
  })
  const r = REFERENCE_POLICY
  return { page: { quick: scale(r.page.quick), slow: scale(r.page.slow) }, ticket: { quick: scale(r.ticket.quick), slow: scale(r.ticket.slow) } }
}

/** Resolves a policy spec for a period into pairs with their factors. */
export function resolvePolicy(spec: AlertPolicySpec, periodSecs: number, source: PolicySource): AlertPolicy {
  const pairs: AlertWindowPair[] = []
  for (const severity of SEVERITIES) {
    for (const speed of SPEEDS) {
      const w = spec[severity][speed]
      pairs.push({ severity, speed, ...w, burnRateFactor: burnRateFactor(w.budgetPercent, periodSecs, w.longWindowSeconds) })
    }
  }
  return { periodSeconds: periodSecs, source, pairs }
}

/**
 * The policy for one SLO: its own override, else a windows file for its
 * period, else the reference table derived for its period.
 */
export function alertPolicyFor(slo: Slo, overrides: PolicyOverrides = new Map()): AlertPolicy {
  const period = periodSeconds(slo.window)
  if (slo.alerting.policy) return resolvePolicy(slo.alerting.policy, period, 'slo')
  const fromFile = overrides.get(period)
  if (fromFile) return resolvePolicy(fromFile, period, 'windows-file')
  return resolvePolicy(derivePolicySpec(period), period, period === REFERENCE_PERIOD_SECONDS ? 'reference' : 'derived')
}

/** Every window (seconds) the policy reads, ascending, without duplicates. */
export function policyWindowsSeconds(policy: AlertPolicy): number[] {
  const all = new Set(policy.pairs.flatMap((p) => [p.shortWindowSeconds, p.longWindowSeconds]))
  return [...all].sort((a, b) => a - b)
}

/** Windows the policy needs that the engine does not compute for every SLO anyway (whole minutes). */
export function extraWindowsSeconds(slo: Slo, overrides?: PolicyOverrides): number[] {
  return policyWindowsSeconds(alertPolicyFor(slo, overrides)).filter((s) => !STANDARD_WINDOW_SECONDS.includes(s))
}
