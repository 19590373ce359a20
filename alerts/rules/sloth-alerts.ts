import type { Slo } from '../../slo-engine/index.ts'
import { promFloat, type AlertPolicy, type AlertWindowPair, type Severity } from '../policy.ts'
import { errorBudgetRatio } from './meta-recordings.ts'
import { formatPromDuration } from './prom-duration.ts'
import { sliErrorRecord, slothSelector } from './sloth-ids.ts'
import { sortedLabels, type AlertingRule } from './types.ts'

// Step 3 for PromQL SLIs: one page and one ticket alert over the step-1
// recordings, each firing when the quick or the slow pair burns above its
// factor in both of its windows. Same shape, labels and default annotations
// as Sloth, so routing written for Sloth keeps working.

export function pairExpr(slo: Slo, pair: AlertWindowPair): string {
  const budget = errorBudgetRatio(slo)
  const over = (seconds: number) =>
    `max(${sliErrorRecord(formatPromDuration(seconds))}${slothSelector(slo)} > (${promFloat(pair.burnRateFactor)} * ${promFloat(budget)})) without (sloth_window)`
  return `(\n    ${over(pair.shortWindowSeconds)}\n    and\n    ${over(pair.longWindowSeconds)}\n)`
}

/** `(quick pair)\nor\n(slow pair)`, each pair indented as Sloth writes it. */
export function severityExpr(pairs: string[]): string {
  return pairs.join('\nor\n') + '\n'
}

export function forClause(seconds: number | undefined): { for?: string } {
  return seconds && seconds > 0 ? { for: formatPromDuration(seconds) } : {}
}

const slothDefaultAnnotations = (severity: Severity) => ({
  summary: '{{$labels.sloth_service}} {{$labels.sloth_slo}} SLO error budget burn rate is over expected.',
  title: `(${severity}) {{$labels.sloth_service}} {{$labels.sloth_slo}} SLO error budget burn rate is too fast.`,
})

export function slothAlertRules(slo: Slo, policy: AlertPolicy): AlertingRule[] {
  const rules: AlertingRule[] = []
  for (const severity of ['page', 'ticket'] as const) {
    const spec = slo.alerting[severity]
    if (!spec.enabled) continue
    const pairs = policy.pairs.filter((p) => p.severity === severity).map((p) => pairExpr(slo, p))
    const runbook: Record<string, string> = slo.alerting.runbook ? { runbook_url: slo.alerting.runbook } : {}
    rules.push({
      alert: slo.alerting.name,
      expr: severityExpr(pairs),
      ...forClause(spec.forSeconds),
      // The user's labels win over the generated one, as in Sloth.
      labels: sortedLabels({ sloth_severity: severity }, slo.alerting.labels, spec.labels),
      annotations: sortedLabels(slothDefaultAnnotations(severity), runbook, slo.alerting.annotations, spec.annotations),
    })
  }
  return rules
}
