import { formatDuration, SLO_GAUGES, type Slo } from '../../slo-engine/index.ts'
import { alertLabels, dashboardUrl, sloTitle } from '../labels.ts'
import { promFloat, type AlertPolicy, type AlertWindowPair, type Severity } from '../policy.ts'
import { forClause, severityExpr } from './sloth-alerts.ts'
import { formatPromDuration } from './prom-duration.ts'
import { promString, sortedLabels, type AlertingRule } from './types.ts'

// Alert rules for SLIs cairn computes itself: the same policy applied to the
// `cairn_slo_burn_rate` gauges the engine exports (label `window` holds the
// engine's window key), not to the recorded error ratios: the gauge is the
// very float the engine compares, and the factor is printed so that it reads
// back as the engine's float, so at the threshold both decide alike (`>`).
// `max by (slo)` drops scrape labels so the alert's labels are exactly the
// ones the engine pages with, Sloth's among them (sloth_id, sloth_service,
// sloth_slo, sloth_severity).

function gaugeExpr(slo: Slo, pair: AlertWindowPair): string {
  const over = (seconds: number) =>
    `max by (slo) (${SLO_GAUGES.burnRate}{slo=${promString(slo.id)}, window=${promString(formatDuration(seconds))}}) > ${promFloat(pair.burnRateFactor)}`
  return `(\n    ${over(pair.shortWindowSeconds)}\n    and\n    ${over(pair.longWindowSeconds)}\n)`
}

function thresholdsText(pairs: AlertWindowPair[], periodSecs: number): string {
  const period = formatPromDuration(periodSecs)
  return pairs
    .map((p) => `${formatFactor(p.burnRateFactor)}× over ${formatPromDuration(p.longWindowSeconds)} and ${formatPromDuration(p.shortWindowSeconds)} (${p.budgetPercent}% of the ${period} budget)`)
    .join(', or ')
}

export function cairnAlertRules(slo: Slo, policy: AlertPolicy, dashboardUrlTemplate?: string): AlertingRule[] {
  const rules: AlertingRule[] = []
  for (const severity of ['page', 'ticket'] as Severity[]) {
    const spec = slo.alerting[severity]
    if (!spec.enabled) continue
    const pairs = policy.pairs.filter((p) => p.severity === severity)
    const dashboard = dashboardUrl(dashboardUrlTemplate, slo)
    rules.push({
      alert: slo.alerting.name,
      expr: severityExpr(pairs.map((p) => gaugeExpr(slo, p))),
      ...forClause(spec.forSeconds),
      labels: withoutAlertname(alertLabels(slo, severity)),
      annotations: sortedLabels(
        {
          summary: `${sloTitle(slo)}: error budget burning too fast (${severity})`,
          description: `Burn rate {{ $value | printf "%.2f" }}× in the short window; ${severity} threshold: ${thresholdsText(pairs, policy.periodSeconds)}. Objective ${slo.objectivePercent}%.`,
        },
        slo.alerting.runbook ? { runbook_url: slo.alerting.runbook } : {},
        dashboard ? { dashboard } : {},
        slo.alerting.annotations,
        spec.annotations,
      ),
    })
  }
  return rules
}

/** Prometheus sets `alertname` from the rule itself. */
export function withoutAlertname(labels: Record<string, string>): Record<string, string> {
  const { alertname: _, ...rest } = labels
  return rest
}

/** A factor for people: 14.4, 5.6 (rules keep the exact float). */
export function formatFactor(factor: number): string {
  return String(Number(factor.toPrecision(6)))
}
