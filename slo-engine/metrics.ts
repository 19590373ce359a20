import { Gauge } from 'prom-client'
import type { Registry } from '../instrumentation/index.ts'
import type { Slo, SloEvaluation } from './model.ts'
import { budgetForecast } from './evaluate/forecast.ts'

// Per-SLO gauges on /metrics, from the latest evaluation of each SLO
// (docs/slo-engine.md lists them). Labels: slo (the id), service, name, and
// window for burn rates ("5m" … "3d", extra alerting windows, "window").

export interface SloGauges {
  /** Replaces every SLO's values with these evaluations (SLOs not in the list disappear). */
  update(evaluated: readonly { slo: Slo; evaluation: SloEvaluation }[]): void
}

export function createSloGauges(registry: Registry): SloGauges {
  const labelNames = ['slo', 'service', 'name'] as const
  const gauge = (name: string, help: string, extra: string[] = []) => new Gauge({ name, help, labelNames: [...labelNames, ...extra], registers: [registry] })
  const objective = gauge('cairn_slo_objective_ratio', 'Objective of the SLO as a ratio (0.999 for 99.9%)')
  const sli = gauge('cairn_slo_sli_ratio', 'Good events (or good slices) over all in the SLO window; absent without data')
  const burnRate = gauge('cairn_slo_burn_rate', 'Error rate over the window divided by the error budget ratio; absent without data in that window', ['window'])
  const remaining = gauge('cairn_slo_error_budget_remaining_ratio', 'Share of the SLO window\'s error budget left: 1 untouched, 0 spent, negative overspent; absent without data')
  const eventsTotal = gauge('cairn_slo_events_total', 'Events (slices for timeslices budgeting) in the SLO window')
  const eventsBad = gauge('cairn_slo_events_bad', 'Bad events (bad slices) in the SLO window')
  const lastEvaluation = gauge('cairn_slo_last_evaluation_timestamp_seconds', 'Unix time of the SLO\'s latest evaluation')
  // Absent when the budget does not run out within the window (no +Inf: alert rules compare it with `<`); 0 when spent.
  const exhaustedIn = gauge('cairn_slo_budget_exhausted_in_seconds', 'Seconds until the error budget runs out at the current burn rate (faster of 1h and 1d); 0 when spent; absent when it does not within the window')
  const all = [objective, sli, burnRate, remaining, eventsTotal, eventsBad, lastEvaluation, exhaustedIn]
  return {
    update(evaluated) {
      // Synchronous: a scrape never sees the gauges half reset.
      for (const g of all) g.reset()
      for (const { slo, evaluation: e } of evaluated) {
        const labels = { slo: slo.id, service: slo.service, name: slo.name }
        objective.set(labels, e.objectiveRatio)
        if (e.sli !== null) sli.set(labels, e.sli)
        if (e.budgetRemainingRatio !== null) remaining.set(labels, e.budgetRemainingRatio)
        for (const [window, value] of Object.entries(e.burnRates)) burnRate.set({ ...labels, window }, value)
        eventsTotal.set(labels, e.eventsTotal)
        eventsBad.set(labels, e.eventsBad)
        lastEvaluation.set(labels, e.evaluatedAtMs / 1000)
        const { exhaustedAtMs } = budgetForecast(slo, e)
        if (exhaustedAtMs !== null) exhaustedIn.set(labels, Math.max(0, (exhaustedAtMs - e.evaluatedAtMs) / 1000))
      }
    },
  }
}
