import type { CounterGroupRow, HistogramGroupRow, LogGroupRow, SpanGroupRow } from './queries.ts'
import type { Condition, RollupPlan } from './plan.ts'

// The second half of the rollup: applying each SLO's conditions to the rows
// the grouped queries return (see plan.ts). Pure computation.

/** Good and total events of one SLO in one minute. */
export interface MinuteCounts {
  good: number
  total: number
}

/** Per SLO id, per minute (unix seconds), the counts; minutes without events are absent. */
export type CountsBySlo = Map<string, Map<number, MinuteCounts>>

/** Atom references that hold for a row: table atoms 0-based, Body atoms as -(1-based index) (plan.ts bodyRef). */
function holdingAtoms(row: { atoms: number[]; body?: number[] }): Set<number> {
  const set = new Set<number>()
  for (const a of row.atoms) set.add(a - 1)
  for (const b of row.body ?? []) set.add(-b)
  return set
}

export function holds(cond: Condition, atoms: Set<number>): boolean {
  return cond.require.every((a) => atoms.has(a)) && !cond.forbid.some((a) => atoms.has(a))
}

/**
 * Calls `visit(i, row, atoms)` for every condition i that holds for a row.
 * Conditions are indexed by their first required atom, so a row is only
 * checked against the conditions that can hold for it.
 */
function forEachMatch<R extends { atoms: number[]; body?: number[] }>(conds: readonly Condition[], rows: readonly R[], visit: (i: number, row: R, atoms: Set<number>) => void): void {
  const byFirst = new Map<number, number[]>()
  const always: number[] = []
  conds.forEach((c, i) => {
    const first = c.require[0]
    if (first === undefined) always.push(i)
    else byFirst.set(first, [...(byFirst.get(first) ?? []), i])
  })
  for (const row of rows) {
    const atoms = holdingAtoms(row)
    const candidates = new Set(always)
    for (const a of atoms) for (const i of byFirst.get(a) ?? []) candidates.add(i)
    for (const i of candidates) if (holds(conds[i]!, atoms)) visit(i, row, atoms)
  }
}

class Accumulator {
  readonly counts: CountsBySlo = new Map()
  add(sloId: string, minute: number, good: number, total: number): void {
    let perMinute = this.counts.get(sloId)
    if (!perMinute) this.counts.set(sloId, (perMinute = new Map()))
    const c = perMinute.get(minute)
    if (c) {
      c.good += good
      c.total += total
    } else perMinute.set(minute, { good, total })
  }
}

export function spanCounts(plan: RollupPlan['traces'], rows: readonly SpanGroupRow[], into = new Accumulator()): Accumulator {
  forEachMatch(
    plan.slos.map((s) => s.match),
    rows,
    (i, row) => {
      const slo = plan.slos[i]!
      const bad = slo.bad.kind === 'error' ? row.errors : row.slower[slo.bad.threshold] ?? 0
      into.add(slo.sloId, row.minute, row.total - bad, row.total)
    },
  )
  return into
}

export function logCounts(plan: RollupPlan['logs'], rows: readonly LogGroupRow[], into = new Accumulator()): Accumulator {
  forEachMatch(
    plan.slos.map((s) => s.match),
    rows,
    (i, row, atoms) => {
      const slo = plan.slos[i]!
      const bad = slo.bad.kind === 'severity' ? row.severity >= slo.bad.atLeast : holds(slo.bad.match, atoms)
      into.add(slo.sloId, row.minute, bad ? 0 : row.total, row.total)
    },
  )
  return into
}

/** Counter increases per condition and minute. */
function counterSums(conds: readonly Condition[], rows: readonly CounterGroupRow[]): Map<number, number>[] {
  const sums = conds.map(() => new Map<number, number>())
  forEachMatch(conds, rows, (i, row) => sums[i]!.set(row.minute, (sums[i]!.get(row.minute) ?? 0) + row.increase))
  return sums
}

/**
 * Metrics SLIs and the remote_write side of histogram SLIs, from the counter
 * rows. Good may exceed total in a minute when the counters are scraped at
 * different instants; the evaluation clamps over whole windows.
 * A histogram minute with `_count` points but no `_bucket` point whose `le` is
 * the threshold has buckets without that bound: it is left out (no data, never
 * "all bad") and counted in `unbounded`, as OTLP points are.
 */
export function counterCounts(plan: RollupPlan, rows: readonly CounterGroupRow[], into = new Accumulator(), unbounded = new Map<string, number>()): Accumulator {
  const conds: Condition[] = []
  const slots = plan.sums.slos.map((s) => ({ total: conds.push(s.total) - 1, good: s.good ? conds.push(s.good) - 1 : -1, bad: s.bad ? conds.push(s.bad) - 1 : -1 }))
  const histogramSlots = plan.histograms.slos.map((h) => ({ good: conds.push(h.bucketCounter) - 1, total: conds.push(h.countCounter) - 1 }))
  const sums = counterSums(conds, rows)
  plan.sums.slos.forEach((slo, i) => {
    const slot = slots[i]!
    const minutes = new Set([...sums[slot.total]!.keys(), ...(slot.good >= 0 ? sums[slot.good]!.keys() : []), ...(slot.bad >= 0 ? sums[slot.bad]!.keys() : [])])
    for (const m of minutes) {
      const total = sums[slot.total]!.get(m) ?? 0
      const good = slot.good >= 0 ? (sums[slot.good]!.get(m) ?? 0) : total - (sums[slot.bad]!.get(m) ?? 0)
      into.add(slo.sloId, m, good, total)
    }
  })
  plan.histograms.slos.forEach((h, i) => {
    const slot = histogramSlots[i]!
    const minutes = new Set([...sums[slot.good]!.keys(), ...sums[slot.total]!.keys()])
    for (const m of minutes) {
      const good = sums[slot.good]!.get(m)
      if (good === undefined) {
        unbounded.set(h.sloId, (unbounded.get(h.sloId) ?? 0) + 1)
        continue
      }
      into.add(h.sloId, m, good, sums[slot.total]!.get(m) ?? 0)
    }
  })
  return into
}

/** Histogram SLIs from OTLP histogram rows; also counts the points whose buckets lack the threshold. */
export function histogramCounts(plan: RollupPlan['histograms'], rows: readonly HistogramGroupRow[], into = new Accumulator()): { acc: Accumulator; unbounded: Map<string, number> } {
  const unbounded = new Map<string, number>()
  forEachMatch(
    plan.slos.map((s) => s.match),
    rows,
    (i, row) => {
      const slo = plan.slos[i]!
      into.add(slo.sloId, row.minute, row.goods[slo.threshold] ?? 0, row.totals[slo.threshold] ?? 0)
      const missing = row.unbounded[slo.threshold] ?? 0
      if (missing > 0) unbounded.set(slo.sloId, (unbounded.get(slo.sloId) ?? 0) + missing)
    },
  )
  return { acc: into, unbounded }
}

export { Accumulator }
