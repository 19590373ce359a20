import type { Slo, SloEvaluation } from '../model.ts'
import { periodStartSeconds } from './calendar.ts'
import { sloWindowSeconds } from './windows.ts'

// When the error budget runs out at the current burn rate. Pure: the SLO and
// its latest evaluation in, an instant out. Formulas and examples in
// docs/slo-engine.md ("Budget forecast").
//
// The budget left is R (budgetRemainingRatio) of the budget the window holds,
// and that budget covers L seconds of traffic: the whole window when rolling,
// the part of the period elapsed so far when calendar. Burning at b spends
// b / L of that budget per second, so it is gone after R × L / b seconds.
// This ignores bad events leaving a rolling window and budget added by new
// traffic in a calendar one: both can only push the instant later, so the
// forecast errs on the side of warning early.

/** The burn-rate windows the forecast reads; the faster of the two counts. */
export const FORECAST_WINDOWS = ['1h', '1d'] as const

export interface BudgetForecast {
  /** When the budget reaches zero (Unix ms); in the past when already spent; null when it does not within the window. */
  exhaustedAtMs: number | null
  /** The burn rate the forecast assumed (the higher of 1h and 1d; the window's own when already spent); null without data. */
  burnRate: number | null
  /** Which burn rate that is: "1h", "1d" or "window". */
  basis: string | null
}

const NONE: BudgetForecast = { exhaustedAtMs: null, burnRate: null, basis: null }

/** Unix seconds at which the calendar period holding `seconds` ends (the next one starts). */
export function periodEndSeconds(seconds: number, slo: Slo): number {
  const w = slo.window
  if (w.kind !== 'calendar') throw new Error('periodEndSeconds: not a calendar window')
  const start = periodStartSeconds(seconds, w.period, w.timeZone)
  // Past the longest possible period (a 25-hour day, a 92-day quarter…), then back to its start.
  const beyond = { day: 26 * 3600, week: 8 * 86400, month: 32 * 86400, quarter: 93 * 86400, year: 367 * 86400 }[w.period]
  return periodStartSeconds(start + beyond, w.period, w.timeZone)
}

/** The faster of the 1h and 1d burn rates, and which it is; undefined when neither has data. */
export function forecastBurnRate(burnRates: Record<string, number>): { burnRate: number; basis: string } | undefined {
  let best: { burnRate: number; basis: string } | undefined
  for (const key of FORECAST_WINDOWS) {
    const value = burnRates[key]
    if (value !== undefined && (best === undefined || value > best.burnRate)) best = { burnRate: value, basis: key }
  }
  return best
}

export function budgetForecast(slo: Slo, evaluation: SloEvaluation): BudgetForecast {
  const R = evaluation.budgetRemainingRatio
  if (evaluation.status !== 'ok' || R === null) return NONE
  const nowSeconds = evaluation.evaluatedAtMs / 1000
  const coveredSeconds = sloWindowSeconds(slo, nowSeconds)
  // Beyond the window's end the forecast means nothing: a rolling window has turned over, a calendar budget restarts.
  const windowEnd = slo.window.kind === 'calendar' ? periodEndSeconds(nowSeconds, slo) : nowSeconds + slo.window.seconds
  if (R <= 0) {
    // Spent: the instant the window's average burn crossed the whole budget, R × L / b_window seconds from now (R ≤ 0: the past).
    const average = evaluation.burnRates.window
    if (average === undefined || average <= 0) return { exhaustedAtMs: evaluation.evaluatedAtMs, burnRate: null, basis: null }
    return { exhaustedAtMs: Math.round((nowSeconds + (R * coveredSeconds) / average) * 1000), burnRate: average, basis: 'window' }
  }
  const current = forecastBurnRate(evaluation.burnRates)
  if (current === undefined) return NONE
  if (current.burnRate <= 0) return { exhaustedAtMs: null, ...current }
  const at = nowSeconds + (R * coveredSeconds) / current.burnRate
  return { exhaustedAtMs: at < windowEnd ? Math.round(at * 1000) : null, ...current }
}
