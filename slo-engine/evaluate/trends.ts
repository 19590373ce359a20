import type { Storage } from '../../storage/index.ts'
import { ENGINE_TABLES } from '../tables.ts'

// Remaining error budget of every SLO over a range, a few points each: the
// overview's sparklines. One query for all SLOs, reading two columns, so a
// thousand SLOs cost one scan rather than a thousand history reads.

/** Per SLO id, the remaining budget (ratio, null without data) at each step's last evaluation; steps without one are null. */
export async function readBudgetTrends(storage: Storage, range: { fromMs: number; toMs: number; stepSeconds: number }): Promise<Map<string, (number | null)[]>> {
  const step = Math.max(1, Math.floor(range.stepSeconds))
  const steps = Math.ceil((range.toMs - range.fromMs) / 1000 / step)
  const rows = await storage.query<{ slo_id: string; bucket: number; remaining: number | null }>(
    `SELECT slo_id, intDiv(toUnixTimestamp64Milli(evaluated_at) - {from:Int64}, {stepMs:Int64}) AS bucket,
            argMax(budget_remaining, evaluated_at) AS remaining
     FROM ${ENGINE_TABLES.evaluations}
     WHERE evaluated_at >= fromUnixTimestamp64Milli({from:Int64}) AND evaluated_at < fromUnixTimestamp64Milli({to:Int64})
     GROUP BY slo_id, bucket`,
    { from: Math.floor(range.fromMs), to: Math.floor(range.toMs), stepMs: step * 1000 },
  )
  const out = new Map<string, (number | null)[]>()
  for (const r of rows) {
    const series = out.get(r.slo_id) ?? new Array<number | null>(steps).fill(null)
    const i = Number(r.bucket)
    if (i >= 0 && i < steps) series[i] = r.remaining === null ? null : Number(r.remaining)
    out.set(r.slo_id, series)
  }
  return out
}
