import { ENGINE_TABLES, type SloEvaluation } from '../slo-engine/index.ts'
import type { Storage } from '../storage/index.ts'
import type { PeriodRange } from './period.ts'

// The stored evaluations a report summarises: per SLO and period, the closing
// evaluation (the last `ok` one evaluated in the period). The period before the
// previous one is read too: its closing evaluation opens the previous period.

interface ClosingRow {
  slo_id: string
  bucket: number
  evaluated_ms: string
  objective: number
  sli: number | null
  events_total: number
  events_bad: number
  budget_total: number
  budget_consumed: number
  budget_remaining: number | null
}

export type ClosingEvaluation = Pick<SloEvaluation, 'sloId' | 'evaluatedAtMs' | 'objectiveRatio' | 'sli' | 'eventsTotal' | 'eventsBad' | 'budgetTotal' | 'budgetConsumed' | 'budgetRemainingRatio'>

/**
 * For each SLO, the closing evaluation of each of the consecutive periods
 * (ordered oldest first, contiguous): result[i] maps SLO id → closing of periods[i].
 */
export async function readClosingEvaluations(storage: Storage, sloIds: readonly string[], periods: readonly PeriodRange[]): Promise<Map<string, ClosingEvaluation>[]> {
  const result = periods.map(() => new Map<string, ClosingEvaluation>())
  if (sloIds.length === 0 || periods.length === 0) return result
  const bounds = periods.map((p) => p.endMs)
  const rows = await storage.query<ClosingRow>(
    `SELECT slo_id, arrayFirstIndex(b -> evaluated_at < fromUnixTimestamp64Milli(b), {bounds:Array(Int64)}) - 1 AS bucket,
            toUnixTimestamp64Milli(evaluated_at) AS evaluated_ms,
            objective, sli, events_total, events_bad, budget_total, budget_consumed, budget_remaining
     FROM ${ENGINE_TABLES.evaluations}
     WHERE slo_id IN {ids:Array(String)} AND status = 'ok'
       AND evaluated_at >= fromUnixTimestamp64Milli({from:Int64}) AND evaluated_at < fromUnixTimestamp64Milli({to:Int64})
     ORDER BY slo_id, bucket, evaluated_at DESC
     LIMIT 1 BY slo_id, bucket`,
    { ids: sloIds, bounds, from: periods[0]!.startMs, to: periods.at(-1)!.endMs },
  )
  for (const r of rows) {
    result[Number(r.bucket)]?.set(r.slo_id, {
      sloId: r.slo_id,
      evaluatedAtMs: Number(r.evaluated_ms),
      objectiveRatio: r.objective,
      sli: r.sli,
      eventsTotal: r.events_total,
      eventsBad: r.events_bad,
      budgetTotal: r.budget_total,
      budgetConsumed: r.budget_consumed,
      budgetRemainingRatio: r.budget_remaining,
    })
  }
  return result
}
