import type { Storage } from '../../storage/index.ts'
import type { Slo } from '../model.ts'
import { ZERO, type Cumulative } from '../rollup/cumulative.ts'
import { loadRollupState, pointKey, readCumulative, sliHash } from '../rollup/store.ts'
import { windowCounts } from './evaluate.ts'

// An SLO's own figures over a fixed period (a report's week or month), from
// its rollups: events (or slices) in the minutes [start, end) are
// cum(end − 60) − cum(start − 60), as an evaluation counts its windows
// (evaluate.ts). Unlike the closing evaluation's SLI, which is over the SLO's
// window as of that tick (30 days for a 30d rolling window), this is the
// period itself.

export interface PeriodCounts {
  total: number
  bad: number
}

/**
 * Per period, per SLO: its events and bad events in the period. Absent for an
 * SLO whose rollups do not hold the whole period: no rollups of its current
 * definition, the period starting before the rollups' epoch (the first minute
 * they count), its end not computed yet, or the rows gone (months the engine
 * prunes once no window reaches them).
 */
export async function readPeriodCounts(storage: Storage, slos: readonly Slo[], periods: readonly { startMs: number; endMs: number }[]): Promise<Map<string, PeriodCounts>[]> {
  const result = periods.map(() => new Map<string, PeriodCounts>())
  const states = await loadRollupState(storage)
  const current = slos.filter((s) => states.get(s.id)?.sliHash === sliHash(s))
  const edges = periods.map((p) => ({ start: Math.floor(p.startMs / 60_000) * 60 - 60, end: Math.floor(p.endMs / 60_000) * 60 - 60 }))
  const sums = await readCumulative(storage, new Map(current.map((s) => [s.id, states.get(s.id)!.sliHash])), [...new Set(edges.flatMap((e) => [e.start, e.end]))])
  for (const slo of current) {
    const state = states.get(slo.id)!
    const at = (minute: number): Cumulative | undefined => (minute < state.epochSeconds ? ZERO : sums.get(pointKey(slo.id, minute)))
    edges.forEach((e, i) => {
      if (e.start < state.epochSeconds - 60 || e.end >= state.computedToSeconds) return
      const [end, start] = [at(e.end), at(e.start)]
      if (end && start) result[i]!.set(slo.id, windowCounts(slo, end, start))
    })
  }
  return result
}
