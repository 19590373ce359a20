import { Gauge } from 'prom-client'
import type { Registry } from '../instrumentation/index.ts'
import type { Slo, SloEvaluation } from './model.ts'

// Per-SLO gauges on /metrics, from the latest evaluation of each SLO
// (docs/slo-engine.md lists them). Labels: slo (the id), service, name, and
// window for burn rates ("5m" … "3d", extra alerting windows, "window").

/** The gauges' names: the generated Prometheus rules read them. */
export const SLO_GAUGES = {
  objective: 'cairn_slo_objective_ratio',
  sli: 'cairn_slo_sli_ratio',
  burnRate: 'cairn_slo_burn_rate',
  budgetRemaining: 'cairn_slo_error_budget_remaining_ratio',
  eventsTotal: 'cairn_slo_events_total',
  eventsBad: 'cairn_slo_events_bad',
  recentEvents: 'cairn_slo_recent_events',
  lastEvaluation: 'cairn_slo_last_evaluation_timestamp_seconds',
} as const

/** The key of the SLO's own window in `cairn_slo_burn_rate{window}`. */
export const OWN_WINDOW_KEY = 'window'

export interface SloGauges {
  /** Replaces every SLO's values with these evaluations (SLOs not in the list disappear). */
  update(evaluated: readonly { slo: Slo; evaluation: SloEvaluation }[]): void
}

export function createSloGauges(registry: Registry): SloGauges {
  const labelNames = ['slo', 'service', 'name'] as const
  const gauge = (name: string, help: string, extra: string[] = []) => new Gauge({ name, help, labelNames: [...labelNames, ...extra], registers: [registry] })
  const objective = gauge(SLO_GAUGES.objective, 'Objective of the SLO as a ratio (0.999 for 99.9%)')
  const sli = gauge(SLO_GAUGES.sli, 'Good events (or good slices) over all in the SLO window; absent without data')
  const burnRate = gauge(SLO_GAUGES.burnRate, 'Error rate over the window divided by the error budget ratio; absent without data in that window', ['window'])
  const remaining = gauge(SLO_GAUGES.budgetRemaining, 'Share of the SLO window\'s error budget left: 1 untouched, 0 spent, negative overspent; absent without data')
  const eventsTotal = gauge(SLO_GAUGES.eventsTotal, 'Events (slices for timeslices budgeting) in the SLO window')
  const eventsBad = gauge(SLO_GAUGES.eventsBad, 'Bad events (bad slices) in the SLO window')
  const recentEvents = gauge(SLO_GAUGES.recentEvents, 'Events in the last 5 minutes (events, also for timeslices budgeting); 0 = no traffic, which no-data alerts read')
  const lastEvaluation = gauge(SLO_GAUGES.lastEvaluation, 'Unix time of the SLO\'s latest evaluation')
  const all = [objective, sli, burnRate, remaining, eventsTotal, eventsBad, recentEvents, lastEvaluation]
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
        if (e.recentEvents !== undefined) recentEvents.set(labels, e.recentEvents)
        lastEvaluation.set(labels, e.evaluatedAtMs / 1000)
      }
    },
  }
}
