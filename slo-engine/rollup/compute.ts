import type { Storage } from '../../storage/index.ts'
import type { Slo } from '../model.ts'
import { Accumulator, counterCounts, histogramCounts, logCounts, spanCounts, type CountsBySlo } from '../sli/match.ts'
import { planRollups } from '../sli/plan.ts'
import { countersStatement, histogramsStatement, logsStatement, spansStatement, type CounterGroupRow, type HistogramGroupRow, type LogGroupRow, type SpanGroupRow, type RawSelection } from '../sli/queries.ts'

export interface RangeCounts {
  counts: CountsBySlo
  /** Histogram SLOs with points (OTLP) or minutes (remote_write) whose buckets do not have the threshold as a bound, and how many. */
  unbounded: Map<string, number>
}

/**
 * Good and total events per minute for each SLO: one grouped query per table
 * the SLOs read. Spans and log records are those of `selection` (rows outside
 * its lateness bound are counted at OUTSIDE_BOUND_MINUTE); metric points those
 * of its event range.
 */
export async function countRange(storage: Storage, slos: readonly Slo[], selection: RawSelection): Promise<RangeCounts> {
  const range = selection.event
  const plan = planRollups(slos)
  const acc = new Accumulator()
  const unbounded = new Map<string, number>()
  if (plan.traces.slos.length > 0) {
    const s = spansStatement(plan.traces, selection)
    spanCounts(plan.traces, await storage.query<SpanGroupRow>(s.sql, s.params), acc)
  }
  if (plan.logs.slos.length > 0) {
    const s = logsStatement(plan.logs, selection)
    logCounts(plan.logs, await storage.query<LogGroupRow>(s.sql, s.params), acc)
  }
  if (plan.sums.slos.length > 0 || plan.histograms.slos.length > 0) {
    const s = countersStatement(plan.sums, [...plan.sumMetricNames], range)
    counterCounts(plan, await storage.query<CounterGroupRow>(s.sql, s.params), acc, unbounded)
  }
  if (plan.histograms.slos.length > 0) {
    const s = histogramsStatement(plan.histograms, [...plan.histogramMetricNames], range)
    for (const [id, n] of histogramCounts(plan.histograms, await storage.query<HistogramGroupRow>(s.sql, s.params), acc).unbounded) unbounded.set(id, (unbounded.get(id) ?? 0) + n)
  }
  return { counts: acc.counts, unbounded }
}
