import { RECENT_SECONDS, SLO_GAUGES, type Slo } from '../../slo-engine/index.ts'
import { alertLabels, sloTitle } from '../labels.ts'
import { withoutAlertname } from './cairn-alerts.ts'
import { formatPromDuration } from './prom-duration.ts'
import { forClause } from './sloth-alerts.ts'
import { promString, sortedLabels, type AlertingRule } from './types.ts'

// Silence pages someone: alerts on the health of cairn's own figures, so a
// dead engine or an SLO gone quiet never means a silent pager.
//  - CairnSloEvaluationStale (per computed SLO, page labels): the SLO's latest
//    evaluation is older than `staleAfterSeconds` (three schedule intervals by
//    default), or cairn exposes no evaluation of it at all for that long
//    (cairn down, scrape failing, SLO failing to evaluate since start).
//  - CairnSloNoData (per SLO with `alerting.noData`): the SLO had events in its
//    window but none in the last `after` (Pyrra's absent alerts).
//  - CairnEngineTicksFailing (once): most ticks failed over the last five
//    intervals, for three intervals.

export const STALE_ALERT = 'CairnSloEvaluationStale'
export const NO_DATA_ALERT = 'CairnSloNoData'
export const TICKS_FAILING_ALERT = 'CairnEngineTicksFailing'

const sel = (slo: Slo) => `{slo=${promString(slo.id)}}`

/** Labels of a health alert: the SLO's alert labels for that severity, so it routes where the SLO's pages go. */
function healthLabels(slo: Slo, severity: 'page' | 'ticket'): Record<string, string> {
  return withoutAlertname(alertLabels(slo, severity))
}

export function staleAlertRule(slo: Slo, staleAfterSeconds: number): AlertingRule {
  const after = formatPromDuration(staleAfterSeconds)
  const last = `${SLO_GAUGES.lastEvaluation}${sel(slo)}`
  return {
    alert: STALE_ALERT,
    // Both sides carry exactly {slo}, so `or` yields one series, never two.
    expr: `(time() - max by (slo) (${last}) > ${staleAfterSeconds})\nor\nabsent_over_time(${last}[${after}])\n`,
    labels: healthLabels(slo, 'page'),
    annotations: sortedLabels({
      summary: `${sloTitle(slo)}: cairn's SLO figures are stale`,
      description: `No evaluation of this SLO for more than ${after}: its burn-rate alerts cannot fire. Check that cairn's engine is running and ticking (cairn_engine_tick_failures_total, its logs) and that Prometheus scrapes it.`,
    }),
  }
}

export function noDataAlertRule(slo: Slo): AlertingRule | undefined {
  const noData = slo.alerting.noData
  if (!noData) return undefined
  const after = formatPromDuration(noData.afterSeconds)
  return {
    alert: NO_DATA_ALERT,
    expr: `max by (slo) (${SLO_GAUGES.recentEvents}${sel(slo)}) == 0\nand\nmax by (slo) (${SLO_GAUGES.eventsTotal}${sel(slo)}) > 0\n`,
    // The gauge counts the last 5 minutes: it reads 0 five minutes after the last event.
    ...forClause(noData.afterSeconds - RECENT_SECONDS),
    labels: healthLabels(slo, noData.severity),
    annotations: sortedLabels({
      summary: `${sloTitle(slo)}: no events for ${after}`,
      description: `The SLO had events in its window but none for ${after}: its SLI and burn rates are no longer measured. Check the service and its telemetry pipeline.`,
    }),
  }
}

export function ticksFailingRule(intervalSeconds: number): AlertingRule {
  const range = formatPromDuration(Math.max(300, 5 * intervalSeconds))
  return {
    alert: TICKS_FAILING_ALERT,
    expr: `sum(increase(cairn_engine_tick_failures_total[${range}])) / sum(increase(cairn_engine_ticks_total[${range}])) > 0.5\n`,
    ...forClause(3 * intervalSeconds),
    labels: { severity: 'page', sloth_severity: 'page' },
    annotations: {
      summary: 'cairn: most SLO evaluation ticks are failing',
      description: `More than half of cairn's evaluation ticks over ${range} failed: SLO figures and burn-rate alerts are stale. See cairn's logs ("SLO evaluation tick failed").`,
    },
  }
}
