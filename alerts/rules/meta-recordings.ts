import type { Slo } from '../../slo-engine/index.ts'
import { promFloat } from '../policy.ts'
import { formatPromDuration } from './prom-duration.ts'
import { sliErrorRecord, slothIdLabels, slothSelector } from './sloth-ids.ts'
import { sortedLabels, type RecordingRule } from './types.ts'

// Step 2: the SLO's metadata as series (objective, budget, period) and its
// burn rates and budget remaining, under Sloth's names so Sloth's dashboards
// read them. For PromQL SLIs the burn rates derive from step 1, as Sloth
// derives them; for SLIs cairn computes they are cairn's own gauges.

/** Objective and budget as ratios, computed from the percent exactly as Sloth does (99.9 → 0.9990000000000001, 0.0009999999999999432). */
export function objectiveRatio(slo: Slo): number {
  return slo.objectivePercent / 100
}

export function errorBudgetRatio(slo: Slo): number {
  return (100 - slo.objectivePercent) / 100
}

/** The expressions of the three burn-rate series. */
export interface BurnExprs {
  current: string
  period: string
  remaining: string
}

/** Sloth's: the page-quick short window's and the period's error ratios over the budget. */
export function slothBurnExprs(slo: Slo, periodSecs: number, currentWindowSeconds: number): BurnExprs {
  const sel = slothSelector(slo)
  const overBudget = (series: string) => `${series}${sel}\n/ on(sloth_id, sloth_slo, sloth_service) group_left\nslo:error_budget:ratio${sel}\n`
  return {
    current: overBudget(sliErrorRecord(formatPromDuration(currentWindowSeconds))),
    period: overBudget(sliErrorRecord(formatPromDuration(periodSecs))),
    remaining: `1 - slo:period_burn_rate:ratio${sel}`,
  }
}

const SPEC_NAMES = { sloth: 'prometheus/v1', openslo: 'openslo/v1', cairn: 'cairn/v1' } as const

export function metaRecordingRules(slo: Slo, periodSecs: number, extraLabels: Record<string, string>, burn: BurnExprs): RecordingRule[] {
  const labels = sortedLabels(slo.labels, extraLabels, slothIdLabels(slo))
  const objective = promFloat(objectiveRatio(slo))
  return [
    { record: 'slo:objective:ratio', expr: `vector(${objective})`, labels },
    { record: 'slo:error_budget:ratio', expr: `vector(1-${objective})`, labels },
    { record: 'slo:time_period:days', expr: `vector(${promFloat(periodSecs / 86400)})`, labels },
    { record: 'slo:current_burn_rate:ratio', expr: burn.current, labels },
    { record: 'slo:period_burn_rate:ratio', expr: burn.period, labels },
    { record: 'slo:period_error_budget_remaining:ratio', expr: burn.remaining, labels },
    {
      record: 'sloth_slo_info',
      expr: 'vector(1)',
      labels: sortedLabels(labels, {
        sloth_mode: 'cairn',
        sloth_objective: String(slo.objectivePercent),
        sloth_spec: SPEC_NAMES[slo.source.format],
        sloth_version: 'cairn',
      }),
    },
  ]
}
