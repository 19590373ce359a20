import type { Slo, SloEvaluation } from '../model.ts'
import type { Cumulative } from '../rollup/cumulative.ts'
import type { EvaluationWindow } from './windows.ts'

// SLI, error budget and burn rates of one SLO from its running sums. Pure.

/** Objective and error budget as ratios, without float noise (1 − 0.999 is 0.0010000000000000009). */
export function ratios(slo: Slo): { objective: number; errorBudget: number } {
  const round = (x: number) => Number(x.toPrecision(12))
  return { objective: round(slo.objectivePercent / 100), errorBudget: round((100 - slo.objectivePercent) / 100) }
}

/** Events (or slices) in a window and the bad ones: the difference of the running sums at its two ends. */
export function windowCounts(slo: Slo, end: Cumulative, start: Cumulative): { total: number; bad: number } {
  if (slo.budgeting.method === 'occurrences') {
    const total = Math.max(0, end.total - start.total)
    // Good can exceed total over a window only through counters scraped at different instants.
    const good = Math.min(total, Math.max(0, end.good - start.good))
    return { total, bad: total - good }
  }
  const total = Math.max(0, end.slices - start.slices)
  const good = Math.min(total, Math.max(0, end.slicesGood - start.slicesGood))
  return { total, bad: total - good }
}

/** The window of `recentEvents` (a standard burn-rate window, so its sums are read anyway). */
export const RECENT_SECONDS = 300

/**
 * `at(minute)` gives the running sums at the end of a minute (Unix seconds of
 * its start). A window of S seconds at `nowSeconds` covers the minutes
 * [now − S, now): its events are at(now − 60) − at(now − S − 60).
 */
export function evaluate(slo: Slo, nowSeconds: number, windows: readonly EvaluationWindow[], at: (minute: number) => Cumulative): SloEvaluation {
  const { objective, errorBudget } = ratios(slo)
  const end = at(nowSeconds - 60)
  const burnRates: Record<string, number> = {}
  let own = { total: 0, bad: 0 }
  for (const w of windows) {
    const counts = windowCounts(slo, end, at(nowSeconds - w.seconds - 60))
    if (w.key === 'window') own = counts
    // No events in a window: no burn rate for it (absent, never NaN or 0).
    if (counts.total > 0) burnRates[w.key] = counts.bad / counts.total / errorBudget
  }
  const recentEvents = Math.max(0, end.total - at(nowSeconds - RECENT_SECONDS - 60).total)
  const base = { sloId: slo.id, evaluatedAtMs: nowSeconds * 1000, objectiveRatio: objective, burnRates, recentEvents }
  if (own.total === 0) {
    return { ...base, status: 'no_data', sli: null, eventsTotal: 0, eventsBad: 0, budgetTotal: 0, budgetConsumed: 0, budgetRemainingRatio: null }
  }
  const budgetTotal = errorBudget * own.total
  return {
    ...base,
    status: 'ok',
    sli: (own.total - own.bad) / own.total,
    eventsTotal: own.total,
    eventsBad: own.bad,
    budgetTotal,
    budgetConsumed: own.bad,
    budgetRemainingRatio: 1 - own.bad / budgetTotal,
  }
}
