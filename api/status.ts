import { ALERT_STATE_TABLE } from '../alerts/index.ts'
import { API_SOURCE_FILE, isComputedSli, type Slo, type SloEvaluation } from '../slo-engine/index.ts'
import type { Storage } from '../storage/index.ts'

// The current status of an SLO as the API shows it: its latest evaluation
// (from the SLO engine) and the state of its page and ticket alerts (from the
// alert state the alerting component keeps).

export interface AlertStateView {
  state: string
  activeSince: string | null
  updatedAt: string
}

export interface SloStatus {
  /** ok / no_data: as evaluated; pending: cairn computes it but has not yet; not_computed: Prometheus evaluates it (PromQL) or no reader exists. */
  state: 'ok' | 'no_data' | 'pending' | 'not_computed'
  evaluatedAt: string | null
  sli: number | null
  objective: number
  errorBudget: { total: number | null; consumed: number | null; remainingRatio: number | null }
  events: { total: number | null; bad: number | null }
  burnRates: Record<string, number>
  alerts: Record<string, AlertStateView>
}

export type LatestEvaluationsReader = (storage: Storage, sloIds?: string[]) => Promise<Map<string, SloEvaluation>>

interface AlertStateRow {
  slo_id: string
  severity: string
  last_state: string
  last_active_since: string | null
  last_updated_at: string
}

const isoOf = (chTime: string) => new Date(`${chTime.replace(' ', 'T')}Z`).toISOString()

/** Latest alert state per SLO and severity (cairn_alert_state keeps one row per change). */
export async function readAlertStates(storage: Storage, sloIds?: string[]): Promise<Map<string, Record<string, AlertStateView>>> {
  const rows = await storage.query<AlertStateRow>(
    `SELECT slo_id, severity, argMax(state, updated_at) AS last_state, argMax(active_since, updated_at) AS last_active_since, max(updated_at) AS last_updated_at
     FROM ${ALERT_STATE_TABLE} ${sloIds ? 'WHERE slo_id IN {ids:Array(String)}' : ''}
     GROUP BY slo_id, severity`,
    sloIds ? { ids: sloIds } : undefined,
  )
  const out = new Map<string, Record<string, AlertStateView>>()
  for (const r of rows) {
    const views = out.get(r.slo_id) ?? {}
    views[r.severity] = { state: r.last_state, activeSince: r.last_active_since ? isoOf(r.last_active_since) : null, updatedAt: isoOf(r.last_updated_at) }
    out.set(r.slo_id, views)
  }
  return out
}

export function sloStatus(slo: Slo, evaluation: SloEvaluation | undefined, alerts: Record<string, AlertStateView> | undefined): SloStatus {
  const objective = slo.objectivePercent / 100
  if (!evaluation) {
    return {
      state: isComputedSli(slo.sli) ? 'pending' : 'not_computed',
      evaluatedAt: null,
      sli: null,
      objective,
      errorBudget: { total: null, consumed: null, remainingRatio: null },
      events: { total: null, bad: null },
      burnRates: {},
      alerts: alerts ?? {},
    }
  }
  return {
    state: evaluation.status,
    evaluatedAt: new Date(evaluation.evaluatedAtMs).toISOString(),
    sli: evaluation.sli,
    objective: evaluation.objectiveRatio,
    errorBudget: { total: evaluation.budgetTotal, consumed: evaluation.budgetConsumed, remainingRatio: evaluation.budgetRemainingRatio },
    events: { total: evaluation.eventsTotal, bad: evaluation.eventsBad },
    burnRates: evaluation.burnRates,
    alerts: alerts ?? {},
  }
}

export const managedBy = (slo: Slo): 'file' | 'api' => (slo.source.file === API_SOURCE_FILE ? 'api' : 'file')
