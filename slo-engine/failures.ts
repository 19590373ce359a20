import type { Slo, SloEvaluation } from './model.ts'
import { formatDuration } from './duration.ts'
import { ratios } from './evaluate/evaluate.ts'
import { evaluationWindows } from './evaluate/windows.ts'
import { refusedRegexes, type RegexChecker } from './regex-check.ts'
import { longestWindowSeconds } from './spec/draft.ts'
import { regexUses } from './spec/regex.ts'

// An SLO the engine cannot evaluate fails alone (docs/slo-engine.md#isolation):
// what can be known without a query is checked here before the tick's
// queries; query failures are confined by confine.ts. Either way the SLO gets
// an error evaluation with the reason.

/** SLO id → why it could not be evaluated this tick. */
export type Failures = Map<string, string>

/** The longest of BURN_RATE_WINDOWS (3d), computed for every SLO whatever its window. */
const MAX_STANDARD_WINDOW_SECONDS = 3 * 86400

/**
 * What fails an SLO without running a query: a pattern RE2 refuses (the spec
 * checks refuse these at PUT and validate, but a file or an older catalog row
 * can still hold one), or a window longer than the SLO's (from an alert policy
 * or a windows file) that would make the engine keep and backfill rollups no
 * window of the SLO reads.
 */
export async function staticFailures(slos: readonly Slo[], nowSeconds: number, check: RegexChecker, extraWindows: (slo: Slo) => number[]): Promise<Failures> {
  const failures: Failures = new Map()
  const refused = await refusedRegexes(check, slos)
  for (const slo of slos) {
    const bad = regexUses(slo).find((u) => refused.has(u.pattern))
    if (bad) {
      failures.set(slo.id, `${bad.field}: RE2 refuses the pattern ${JSON.stringify(bad.pattern)}: ${refused.get(bad.pattern)}`)
      continue
    }
    const own = longestWindowSeconds(slo.window)
    const tooLong = evaluationWindows(slo, nowSeconds, extraWindows(slo)).find((w) => w.seconds > Math.max(own, MAX_STANDARD_WINDOW_SECONDS))
    if (tooLong) failures.set(slo.id, `window ${formatDuration(tooLong.seconds)} (from the alert policy) is longer than the SLO window (${formatDuration(own)}); fix the policy's longWindow`)
  }
  return failures
}

/** The evaluation of an SLO that could not be evaluated: status error, the reason, no ratios. */
export function errorEvaluation(slo: Slo, nowSeconds: number, reason: string): SloEvaluation {
  const { objective } = ratios(slo)
  return { sloId: slo.id, evaluatedAtMs: nowSeconds * 1000, status: 'error', error: reason, objectiveRatio: objective, sli: null, eventsTotal: 0, eventsBad: 0, budgetTotal: 0, budgetConsumed: 0, budgetRemainingRatio: null, burnRates: {} }
}
