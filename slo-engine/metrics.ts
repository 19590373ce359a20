import { Gauge } from 'prom-client'
import type { Registry } from '../instrumentation/index.ts'
import type { Slo, SloEvaluation } from './model.ts'

// Per-SLO gauges on /metrics, from the latest evaluation of each SLO
// (docs/slo-engine.md lists them). Labels: slo (the id), service, name, and
// window for burn rates ("5m" … "3d", extra alerting windows, "window").

export interface SloGauges {
  /** Replaces every SLO's values with these evaluations (SLOs not in the lists disappear); `pending` SLOs wait for a backfill. */
  update(evaluated: readonly { slo: Slo; evaluation: SloEvaluation }[], pending?: readonly Slo[]): void
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
  const lastEvaluation = gauge('cairn_slo_last_evaluation_timestamp_seconds', 'Unix time of the SLO\'s latest successful evaluation (it stops moving while the SLO is in error)')
  const status = gauge('cairn_slo_status', 'The SLO\'s status: 1 for the current one (ok, no_data, error, or pending while its rollups are backfilled)', ['status'])
  const all = [objective, sli, burnRate, remaining, eventsTotal, eventsBad, lastEvaluation, status]
  // The last successful evaluation of each SLO, kept while it is in error.
  let lastOk = new Map<string, number>()
  return {
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
