import { Gauge } from 'prom-client'
import type { Registry } from '../instrumentation/index.ts'
import type { Slo, SloEvaluation } from './model.ts'
import { budgetForecast } from './evaluate/forecast.ts'

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
  status: 'cairn_slo_status',
  budgetExhaustedIn: 'cairn_slo_budget_exhausted_in_seconds',
} as const

/** The key of the SLO's own window in `cairn_slo_burn_rate{window}`. */
export const OWN_WINDOW_KEY = 'window'

export interface SloGauges {
  /** Replaces every SLO's values with these evaluations (SLOs not in the lists disappear); `pending` SLOs wait for a backfill. */
  update(evaluated: readonly { slo: Slo; evaluation: SloEvaluation }[], pending?: readonly Slo[]): void
  /** Removes every SLO's values (a replica that stands by exports none: the rules take the max over replicas). */
  clear(): void
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
  const lastEvaluation = gauge(SLO_GAUGES.lastEvaluation, 'Unix time of the SLO\'s latest successful evaluation (it stops moving while the SLO is in error)')
  const status = gauge(SLO_GAUGES.status, 'The SLO\'s status: 1 for the current one (ok, no_data, error, or pending while its rollups are backfilled)', ['status'])
  // Absent when the budget does not run out within the window (no +Inf: alert rules compare it with `<`); 0 when spent.
  const exhaustedIn = gauge(SLO_GAUGES.budgetExhaustedIn, 'Seconds until the error budget runs out at the current burn rate (faster of 1h and 1d); 0 when spent; absent when it does not within the window')
  const all = [objective, sli, burnRate, remaining, eventsTotal, eventsBad, recentEvents, lastEvaluation, status, exhaustedIn]
  // The last successful evaluation of each SLO, kept while it is in error.
  let lastOk = new Map<string, number>()
  return {
    clear() {
      for (const g of all) g.reset()
      lastOk = new Map()
    },
    update(evaluated, pending = []) {
      // Synchronous: a scrape never sees the gauges half reset.
      for (const g of all) g.reset()
      const nextOk = new Map<string, number>()
      for (const { slo, evaluation: e } of evaluated) {
        const labels = { slo: slo.id, service: slo.service, name: slo.name }
        objective.set(labels, e.objectiveRatio)
        status.set({ ...labels, status: e.status }, 1)
        const okAt = e.status === 'error' ? lastOk.get(slo.id) : e.evaluatedAtMs / 1000
        if (okAt !== undefined) {
          nextOk.set(slo.id, okAt)
          lastEvaluation.set(labels, okAt)
        }
        if (e.status === 'error') continue
        if (e.sli !== null) sli.set(labels, e.sli)
        if (e.budgetRemainingRatio !== null) remaining.set(labels, e.budgetRemainingRatio)
        for (const [window, value] of Object.entries(e.burnRates)) burnRate.set({ ...labels, window }, value)
        eventsTotal.set(labels, e.eventsTotal)
        eventsBad.set(labels, e.eventsBad)
        if (e.recentEvents !== undefined) recentEvents.set(labels, e.recentEvents)
        const { exhaustedAtMs } = budgetForecast(slo, e)
        if (exhaustedAtMs !== null) exhaustedIn.set(labels, Math.max(0, (exhaustedAtMs - e.evaluatedAtMs) / 1000))
      }
      for (const slo of pending) {
        const labels = { slo: slo.id, service: slo.service, name: slo.name }
        status.set({ ...labels, status: 'pending' }, 1)
        const okAt = lastOk.get(slo.id)
        if (okAt !== undefined) nextOk.set(slo.id, okAt)
      }
      lastOk = nextOk
    },
  }
}
