import { budgetForecast, RECENT_SECONDS, type Slo, type SloEvaluation } from '../slo-engine/index.ts'
import type { SeverityCondition } from './condition.ts'
import { burnRateAt } from './condition.ts'
import { dashboardUrl, sloTitle } from './labels.ts'
import type { AlertPolicy, Severity } from './policy.ts'
import { formatFactor } from './rules/cairn-alerts.ts'
import { formatPromDuration } from './rules/prom-duration.ts'
import { sortedLabels } from './rules/types.ts'

// The text of an engine page: what is burning, how fast against which
// threshold, how much budget is left, and where to look. The SLO's own
// annotations (alerting, then per severity) override these.

const rate = (value: number | undefined) => (value === undefined ? 'no data' : `${formatFactor(Number(value.toFixed(2)))}×`)
const percent = (ratio: number | null) => (ratio === null ? 'unknown (no data)' : `${(ratio * 100).toFixed(1)}%`)

function burningText(condition: SeverityCondition, period: string): string {
  const burning = condition.pairs.filter((p) => p.burning)
  const shown = burning.length > 0 ? burning : condition.pairs
  return shown
    .map(
      ({ pair, shortBurnRate, longBurnRate }) =>
        `burn rate ${rate(longBurnRate)} over ${formatPromDuration(pair.longWindowSeconds)} and ${rate(shortBurnRate)} over ${formatPromDuration(pair.shortWindowSeconds)}` +
        ` (threshold ${formatFactor(pair.burnRateFactor)}×: ${pair.budgetPercent}% of the ${period} budget in ${formatPromDuration(pair.longWindowSeconds)})`,
    )
    .join('; ')
}

/** The forecast instant as the payloads carry it (ISO), or null. */
export function exhaustedAtText(slo: Slo, evaluation: SloEvaluation): string | null {
  const { exhaustedAtMs } = budgetForecast(slo, evaluation)
  return exhaustedAtMs === null ? null : new Date(exhaustedAtMs).toISOString()
}

function forecastText(exhaustedAt: string | null, evaluation: SloEvaluation): string {
  if (exhaustedAt === null) return 'not within the window at the current burn rate'
  return Date.parse(exhaustedAt) <= evaluation.evaluatedAtMs ? `already spent (since ${exhaustedAt})` : `at the current burn rate, runs out at ${exhaustedAt}`
}

export interface MessageContext {
  dashboardUrlTemplate?: string
}

export function alertAnnotations(slo: Slo, severity: Severity, policy: AlertPolicy, evaluation: SloEvaluation, condition: SeverityCondition, ctx: MessageContext): Record<string, string> {
  const period = formatPromDuration(policy.periodSeconds)
  const windows = [...new Set(policy.pairs.flatMap((p) => [p.shortWindowSeconds, p.longWindowSeconds]))].sort((a, b) => a - b)
  const fastest = Math.max(...condition.pairs.filter((p) => p.burning).map((p) => Math.min(p.shortBurnRate!, p.longBurnRate!)), 0)
  const dashboard = dashboardUrl(ctx.dashboardUrlTemplate, slo)
  const exhaustedAt = exhaustedAtText(slo, evaluation)
  return sortedLabels(
    {
      summary: `${sloTitle(slo)}: error budget burning ${fastest > 0 ? `${rate(fastest)} ` : ''}too fast (${severity})`,
      description:
        `${slo.description ? `${slo.description}. ` : ''}${burningText(condition, period)}. ` +
        `Error budget remaining: ${percent(evaluation.budgetRemainingRatio)} of ${period}; ${forecastText(exhaustedAt, evaluation)}. Objective ${slo.objectivePercent}%.`,
      burn_rates: windows.map((w) => `${formatPromDuration(w)}=${rate(burnRateAt(evaluation, w))}`).join(' '),
      budget_remaining: percent(evaluation.budgetRemainingRatio),
      budget_exhausted_at: exhaustedAt ?? 'never within the window',
    },
    freshness(evaluation),
    slo.alerting.runbook ? { runbook_url: slo.alerting.runbook } : {},
    dashboard ? { dashboard } : {},
    slo.alerting.annotations,
    slo.alerting[severity].annotations,
  )
}

/**
 * A page whose SLO has had no events in the last minutes is about older data
 * (telemetry stopped arriving, or traffic did): say so, so on-call does not
 * take the burn rates for what is happening now.
 */
function freshness(evaluation: SloEvaluation): Record<string, string> {
  if (evaluation.recentEvents !== 0) return {}
  const minutes = RECENT_SECONDS / 60
  return { data_stale: `no events in the ${minutes} minutes before ${new Date(evaluation.evaluatedAtMs).toISOString()}: the burn rates describe older data; check that telemetry is still arriving` }
}
