import type { z } from '@hono/zod-openapi'
import type { AlertState } from '../alerts/index.ts'
import { API_SOURCE_FILE, budgetForecast, isComputedSli, sloRatios, type Slo, type SloEvaluation } from '../slo-engine/index.ts'
import type { SloStatusSchema } from './schemas/slo.ts'
import { iso } from './time.ts'

// The current status of an SLO as the API shows it: its latest evaluation
// (from the SLO engine) and the state of its page and ticket alerts (from the
// alert state the alerting component keeps).

export type SloStatus = z.infer<typeof SloStatusSchema>
type AlertStateView = SloStatus['alerts'][string]

/** The API's view of the current alert states, by SLO and then severity. */
export function alertViewsBySlo(states: readonly AlertState[]): Map<string, Record<string, AlertStateView>> {
  const out = new Map<string, Record<string, AlertStateView>>()
  for (const s of states) {
    const views = out.get(s.sloId) ?? {}
    views[s.severity] = { state: s.status, activeSince: s.activeSinceMs === undefined ? null : iso(s.activeSinceMs), updatedAt: iso(s.updatedAtMs) }
    out.set(s.sloId, views)
  }
  return out
}

/** When an evaluation is too old to be current (see staleAfterSeconds in alerts/). */
export interface Freshness {
  nowMs: number
  staleAfterMs: number
}

export function sloStatus(slo: Slo, evaluation: SloEvaluation | undefined, alerts: Record<string, AlertStateView> | undefined, freshness?: Freshness): SloStatus {
  const { objective } = sloRatios(slo)
  if (!evaluation) {
    return {
      state: isComputedSli(slo.sli) ? 'pending' : 'not_computed',
      error: null,
      evaluatedAt: null,
      stale: false,
      sli: null,
      objective,
      errorBudget: { total: null, consumed: null, remainingRatio: null },
      events: { total: null, bad: null },
      burnRates: {},
      budgetExhaustedAt: null,
      budgetForecast: { burnRate: null, basis: null },
      alerts: alerts ?? {},
    }
  }
  const forecast = budgetForecast(slo, evaluation)
  return {
    state: evaluation.status,
    error: evaluation.error ?? null,
    evaluatedAt: iso(evaluation.evaluatedAtMs),
    stale: freshness !== undefined && freshness.nowMs - evaluation.evaluatedAtMs > freshness.staleAfterMs,
    sli: evaluation.sli,
    objective: evaluation.objectiveRatio,
    errorBudget: { total: evaluation.budgetTotal, consumed: evaluation.budgetConsumed, remainingRatio: evaluation.budgetRemainingRatio },
    events: { total: evaluation.eventsTotal, bad: evaluation.eventsBad },
    burnRates: evaluation.burnRates,
    budgetExhaustedAt: forecast.exhaustedAtMs === null ? null : iso(forecast.exhaustedAtMs),
    budgetForecast: { burnRate: forecast.burnRate, basis: forecast.basis },
    alerts: alerts ?? {},
  }
}

export const managedBy = (slo: Slo): 'file' | 'api' => (slo.source.file === API_SOURCE_FILE ? 'api' : 'file')
