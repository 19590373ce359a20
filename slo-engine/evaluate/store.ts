import type { Storage } from '../../storage/index.ts'
import type { SloEvaluation } from '../model.ts'
import { ENGINE_TABLES } from '../tables.ts'

// Evaluations: written to the history and to the latest-status table; read by the API.

interface EvaluationRow {
  slo_id: string
  evaluated_at: number
  status: string
  objective: number
  sli: number | null
  events_total: number
  events_bad: number
  budget_total: number
  budget_consumed: number
  budget_remaining: number | null
  burn_rates: Record<string, number>
  error: string
}

const toRow = (e: SloEvaluation): EvaluationRow => ({
  slo_id: e.sloId,
  evaluated_at: e.evaluatedAtMs,
  status: e.status,
  objective: e.objectiveRatio,
  sli: e.sli,
  events_total: e.eventsTotal,
  events_bad: e.eventsBad,
  budget_total: e.budgetTotal,
  budget_consumed: e.budgetConsumed,
  budget_remaining: e.budgetRemainingRatio,
  burn_rates: e.burnRates,
  error: e.error ?? '',
})

const fromRow = (r: EvaluationRow & { evaluated_ms: number }): SloEvaluation => ({
  sloId: r.slo_id,
  evaluatedAtMs: Number(r.evaluated_ms),
  status: r.status === 'ok' || r.status === 'error' ? r.status : 'no_data',
  ...(r.status === 'error' && { error: r.error }),
  objectiveRatio: r.objective,
  sli: r.sli,
  eventsTotal: r.events_total,
  eventsBad: r.events_bad,
  budgetTotal: r.budget_total,
  budgetConsumed: r.budget_consumed,
  budgetRemainingRatio: r.budget_remaining,
  burnRates: r.burn_rates,
})

export async function writeEvaluations(storage: Storage, evaluations: readonly SloEvaluation[]): Promise<void> {
  if (evaluations.length === 0) return
  const rows = evaluations.map(toRow)
  await storage.insertRows(ENGINE_TABLES.evaluations, rows)
  await storage.insertRows(ENGINE_TABLES.status, rows)
}

const COLUMNS = `slo_id, status, objective, sli, events_total, events_bad, budget_total, budget_consumed, budget_remaining, burn_rates, error`
const LATEST = COLUMNS.split(', ')
  .map((c) => `argMax(${c}, evaluated_at) AS ${c}`)
  .join(', ')
  .replace('argMax(slo_id, evaluated_at) AS slo_id', 'slo_id')

/** The latest evaluation of each SLO (of the given ones, or all), by SLO id. */
export async function readLatestEvaluations(storage: Storage, sloIds?: string[]): Promise<Map<string, SloEvaluation>> {
  if (sloIds && sloIds.length === 0) return new Map()
  const rows = await storage.query<EvaluationRow & { evaluated_ms: number }>(
    `SELECT ${LATEST}, toUnixTimestamp64Milli(max(evaluated_at)) AS evaluated_ms
     FROM ${ENGINE_TABLES.status} ${sloIds ? 'WHERE slo_id IN {ids:Array(String)}' : ''} GROUP BY slo_id`,
    sloIds ? { ids: sloIds } : undefined,
  )
  return new Map(rows.map((r) => [r.slo_id, fromRow(r)]))
}

/**
 * One evaluation per step of `stepSeconds` between fromMs and toMs (the last
 * of each step), oldest first. Steps without an evaluation are absent.
 */
export async function readEvaluationHistory(storage: Storage, sloId: string, range: { fromMs: number; toMs: number; stepSeconds: number }): Promise<SloEvaluation[]> {
  const step = Math.max(1, Math.floor(range.stepSeconds))
  // The last row of each step, picked by LIMIT 1 BY over the sort key: about half
  // the cost of argMax over every column (the burn-rate map above all).
  const rows = await storage.query<EvaluationRow & { evaluated_ms: number }>(
    `SELECT ${COLUMNS}, toUnixTimestamp64Milli(evaluated_at) AS evaluated_ms
     FROM ${ENGINE_TABLES.evaluations}
     WHERE slo_id = {id:String}
       AND evaluated_at >= fromUnixTimestamp64Milli({from:Int64}) AND evaluated_at <= fromUnixTimestamp64Milli({to:Int64})
     ORDER BY intDiv(toUnixTimestamp(evaluated_at), {step:UInt32}), evaluated_at DESC
     LIMIT 1 BY intDiv(toUnixTimestamp(evaluated_at), {step:UInt32})`,
    { id: sloId, from: Math.floor(range.fromMs), to: Math.floor(range.toMs), step },
  )
  return rows.map(fromRow)
}

/**
 * Per consecutive period (contiguous, oldest first, each `{ startMs, endMs }`),
 * each SLO's closing evaluation: its last `ok` one in the period. result[i]
 * maps SLO id → the closing evaluation of periods[i]. For reports.
 */
export async function readClosingEvaluations(storage: Storage, sloIds: readonly string[], periods: readonly { startMs: number; endMs: number }[]): Promise<Map<string, SloEvaluation>[]> {
  const result = periods.map(() => new Map<string, SloEvaluation>())
  if (sloIds.length === 0 || periods.length === 0) return result
  // The period of a row: the first whose end is after it (arrayFirstIndex is 1-based).
  const rows = await storage.query<EvaluationRow & { evaluated_ms: number; period: number }>(
    `SELECT ${COLUMNS}, toUnixTimestamp64Milli(evaluated_at) AS evaluated_ms,
            arrayFirstIndex(e -> evaluated_at < fromUnixTimestamp64Milli(e), {ends:Array(Int64)}) - 1 AS period
     FROM ${ENGINE_TABLES.evaluations}
     WHERE slo_id IN {ids:Array(String)} AND status = 'ok'
       AND evaluated_at >= fromUnixTimestamp64Milli({from:Int64}) AND evaluated_at < fromUnixTimestamp64Milli({to:Int64})
     ORDER BY slo_id, period, evaluated_at DESC
     LIMIT 1 BY slo_id, period`,
    { ids: sloIds, ends: periods.map((p) => p.endMs), from: periods[0]!.startMs, to: periods.at(-1)!.endMs },
  )
  for (const r of rows) result[Number(r.period)]?.set(r.slo_id, fromRow(r))
  return result
}
