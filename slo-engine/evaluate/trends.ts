import type { Storage } from '../../storage/index.ts'
import { ENGINE_TABLES } from '../tables.ts'

// Remaining error budget of every SLO over a range, a few points each: the
// overview's sparklines. One query for all SLOs over the hourly table (see
// tables.ts), so a thousand SLOs cost one small scan rather than a thousand
// history reads or a scan of every minute's evaluation.

const HOUR_MS = 3_600_000

/**
 * Per SLO id, the remaining budget (ratio, null without data) at the last
 * evaluation of each step, oldest first; steps without one are null. Steps are
 * whole hours (the table's resolution), so at least an hour.
 */
export async function readBudgetTrends(storage: Storage, range: { fromMs: number; toMs: number; stepSeconds: number }): Promise<{ stepSeconds: number; trends: Map<string, (number | null)[]> }> {
  const stepMs = Math.max(1, Math.ceil((range.stepSeconds * 1000) / HOUR_MS)) * HOUR_MS
  const fromMs = Math.floor(range.fromMs / HOUR_MS) * HOUR_MS
  const steps = Math.max(1, Math.ceil((range.toMs - fromMs) / stepMs))
  // One row per SLO with its points as an array: the query itself takes a few
  // ms; 56,000 rows (1,000 SLOs × 56 steps) each parsed on its own took ~1 s.
  const rows = await storage.query<{ slo_id: string; points: [number, number | null][] }>(
    `SELECT slo_id, groupArray((bucket, remaining)) AS points
     FROM (
       SELECT slo_id, toInt32(intDiv(toUnixTimestamp(hour) * 1000 - {from:Int64}, {stepMs:Int64})) AS bucket, argMaxMerge(remaining) AS remaining
       FROM ${ENGINE_TABLES.budgetHourly}
       WHERE hour >= fromUnixTimestamp64Milli({from:Int64}) AND hour < fromUnixTimestamp64Milli({to:Int64})
       GROUP BY slo_id, bucket
     )
     GROUP BY slo_id`,
    { from: fromMs, to: Math.floor(range.toMs), stepMs },
  )
  const trends = new Map<string, (number | null)[]>()
  for (const r of rows) {
    const series = new Array<number | null>(steps).fill(null)
    for (const [bucket, remaining] of r.points) if (bucket >= 0 && bucket < steps) series[bucket] = remaining === null ? null : Number(remaining)
    trends.set(r.slo_id, series)
  }
  return { stepSeconds: stepMs / 1000, trends }
}
