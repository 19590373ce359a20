import { formatDuration, type SloEvaluation } from '../slo-engine/index.ts'
import type { AlertPolicy, AlertWindowPair, Severity } from './policy.ts'

// Applies the policy to one evaluation's burn rates: the engine-side twin of the
// generated Prometheus alert expressions (`short > factor and long > factor`,
// quick or slow), so both page on the same numbers.

export interface PairResult {
  pair: AlertWindowPair
  shortBurnRate: number | undefined
  longBurnRate: number | undefined
  /** Both windows have data and burn faster than the factor. */
  burning: boolean
}

export interface SeverityCondition {
  severity: Severity
  /** Some pair of this severity is burning. */
  active: boolean
  pairs: PairResult[]
}

export function burnRateAt(evaluation: SloEvaluation, windowSeconds: number): number | undefined {
  const value = evaluation.burnRates[formatDuration(windowSeconds)]
  return value === undefined || !Number.isFinite(value) ? undefined : value
}

/** Page and ticket conditions of one evaluation. A window without data never burns. */
export function evaluateConditions(policy: AlertPolicy, evaluation: SloEvaluation): Record<Severity, SeverityCondition> {
  const results = policy.pairs.map((pair): PairResult => {
    const shortBurnRate = burnRateAt(evaluation, pair.shortWindowSeconds)
    const longBurnRate = burnRateAt(evaluation, pair.longWindowSeconds)
    const burning = shortBurnRate !== undefined && longBurnRate !== undefined && shortBurnRate > pair.burnRateFactor && longBurnRate > pair.burnRateFactor
    return { pair, shortBurnRate, longBurnRate, burning }
  })
  const of = (severity: Severity): SeverityCondition => {
    const pairs = results.filter((r) => r.pair.severity === severity)
    return { severity, active: pairs.some((r) => r.burning), pairs }
  }
  return { page: of('page'), ticket: of('ticket') }
}
