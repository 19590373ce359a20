import { isStorageUnavailable, quoteIdentifier, type Storage } from '../../storage/index.ts'
import type { Slo } from '../model.ts'
import type { MinuteCounts } from '../sli/match.ts'
import { OUTSIDE_BOUND_MINUTE } from '../sli/queries.ts'
import { CumulativeBuilder, sliceAligner, ZERO, type RollupRow } from './cumulative.ts'
import { readRollupRows, type RollupState } from './store.ts'

// The ingest watermark (docs/slo-engine.md, "Ingest watermark"). Spans and log
// records carry CairnIngestedAt, the server's clock at their INSERT. Each tick
// takes a cut C and reads, for the span and log SLOs, only the rows stored in
// [W, C), W being the cut of the SLO's last tick: a row is read by exactly one
// tick, however late it arrives, and a tick's raw-data work is the rows stored
// since the last one. Their counts are deltas, per SLO and event minute (a
// span's end, a record's time), added to the stored minutes; the running sums
// from the earliest changed minute to the newest are written again.

/** A span or log SLI: counted from the rows stored since the last tick. */
export const isIngestSli = (slo: Slo) => slo.sli.kind === 'spans' || slo.sli.kind === 'logs'

/**
 * The cut of this tick (Unix ms): every row stored before it is visible. An
 * INSERT takes its now64() when it starts and its rows become visible when it
 * ends, so the cut is never later than the start of an INSERT still running
 * (system.processes, on every replica of a cluster), and `marginMs` before the
 * server's clock (writers ClickHouse cannot see: async inserts, Distributed
 * queues, clock skew between shards).
 */
export async function readIngestCut(storage: Storage, marginMs: number): Promise<{ cutMs: number; runningInsertMs: number; processesUnreadable?: unknown }> {
  const processes = storage.cluster ? `clusterAllReplicas(${quoteIdentifier(storage.cluster)}, system.processes)` : 'system.processes'
  try {
    const [row] = await storage.query<{ now: string; running_ms: string }>(
      `SELECT toUnixTimestamp64Milli(now64(3)) AS now,
         (SELECT toUInt64(ceil(max(elapsed) * 1000)) FROM ${processes} WHERE query_kind = 'Insert') AS running_ms`,
    )
    const runningInsertMs = Number(row!.running_ms)
    return { cutMs: Number(row!.now) - Math.max(marginMs, runningInsertMs), runningInsertMs }
  } catch (err) {
    // A user without the right to see the process list (or a cluster query refused): the margin alone holds the cut back.
    if (isStorageUnavailable(err)) throw err
    const [row] = await storage.query<{ now: string }>('SELECT toUnixTimestamp64Milli(now64(3)) AS now')
    return { cutMs: Number(row!.now) - marginMs, runningInsertMs: 0, processesUnreadable: err }
  }
}

/** An INSERT running longer than this holding the cut back is worth a warning: span and log SLOs lag behind it. */
export const SLOW_INSERT_WARN_MS = 60_000

/** Running sums of the last minutes of each SLO, kept between ticks: every minute from `from` to the SLO's computed_to. */
export type RecentSums = Map<string, { hash: string; from: number; rows: Map<number, RollupRow> }>

/**
 * The first minute an ingest tick may rewrite, less one (its base): rows
 * stored from W on count only if their event is at most the lateness bound
 * before min(W, now), and a rewrite starts at the start of a slice.
 */
export function ingestKeepFrom(slo: Slo, epochSeconds: number, ingestedToMs: number, nowSeconds: number, latenessSeconds: number): number {
  const earliest = Math.floor(Math.min(ingestedToMs / 1000, nowSeconds) / 60) * 60 - latenessSeconds
  return Math.max(epochSeconds, sliceAligner(slo.budgeting, slo.window)(earliest)) - 60
}

/** Keeps `rows` (consecutive minutes) in memory, and the minutes from `keepFrom` on. */
export function remember(recent: RecentSums, sloId: string, hash: string, rows: readonly RollupRow[], keepFrom: number): void {
  if (rows.length === 0) return
  let entry = recent.get(sloId)
  const first = rows[0]!.minute
  // A definition change, or a gap after what is kept, starts over from these rows.
  if (!entry || entry.hash !== hash || first < entry.from || (first > entry.from && !entry.rows.has(first - 60))) recent.set(sloId, (entry = { hash, from: first, rows: new Map() }))
  for (const r of rows) entry.rows.set(r.minute, r)
  for (const minute of entry.rows.keys()) if (minute < keepFrom) entry.rows.delete(minute)
  entry.from = Math.max(entry.from, keepFrom)
}

export function recalled(recent: RecentSums, sloId: string, hash: string, minute: number): RollupRow | undefined {
  const entry = recent.get(sloId)
  return entry?.hash === hash && minute >= entry.from ? entry.rows.get(minute) : undefined
}

/**
 * After a restart: the minutes each ingest SLO may rewrite, read once, and its
 * true watermark. Every ingest tick rewrites the SLO's newest row with the cut
 * it used, so the newest row wins over a state row written before it (the
 * engine stopped between the two writes). SLOs whose rows have a gap are
 * returned: they are rebuilt.
 */
export async function resumeFromRows(storage: Storage, slos: readonly Slo[], states: Map<string, RollupState>, hashes: Map<string, string>, recent: RecentSums, nowSeconds: number, latenessSeconds: number): Promise<Set<string>> {
  const keepFrom = new Map(slos.map((s) => {
    const state = states.get(s.id)!
    return [s.id, ingestKeepFrom(s, state.epochSeconds, state.ingestedToMs, nowSeconds, latenessSeconds)]
  }))
  const from = Math.min(...slos.map((s) => Math.min(keepFrom.get(s.id)!, states.get(s.id)!.computedToSeconds - 60)))
  const read = await readRollupRows(storage, new Map(slos.map((s) => [s.id, hashes.get(s.id)!])), from)
  const broken = new Set<string>()
  for (const slo of slos) {
    const state = states.get(slo.id)!
    const rows = read.get(slo.id) ?? new Map<number, RollupRow>()
    const newest = Math.max(state.computedToSeconds - 60, ...rows.keys())
    const tip = rows.get(newest)
    if (tip && tip.ingested_to > state.ingestedToMs) Object.assign(state, { ingestedToMs: tip.ingested_to, computedToSeconds: newest + 60 })
    const start = Math.max(keepFrom.get(slo.id)!, state.epochSeconds)
    const kept = [...rows.values()].filter((r) => r.minute >= start && r.minute < state.computedToSeconds).sort((a, b) => a.minute - b.minute)
    if (kept.length !== (state.computedToSeconds - start) / 60) {
      broken.add(slo.id)
      continue
    }
    recent.set(slo.id, { hash: hashes.get(slo.id)!, from: start, rows: new Map(kept.map((r) => [r.minute, r])) })
  }
  return broken
}

/** What one ingest read changed for one SLO. */
export interface IngestApplied {
  /** The rows from the earliest changed minute to the newest (all of them: the caller drops those equal to the stored ones). */
  rows: RollupRow[]
  computedToSeconds: number
  /** Events outside the lateness bound (or before the SLO's epoch), not counted. */
  outsideBound: number
}

/**
 * Adds the counts of the rows stored in one ingest range to an SLO's stored
 * minutes. Minutes [a, end) are rebuilt, a being the start of the slice of the
 * earliest minute with new events (or the old end) and end the later of the
 * old end, `nowSeconds` and the minute after the newest event.
 */
export function applyIngest(
  target: { slo: Slo; hash: string; epochSeconds: number; computedToSeconds: number },
  recent: RecentSums,
  deltas: Map<number, MinuteCounts> | undefined,
  opts: { nowSeconds: number; cutMs: number; computedAtMs: number },
): IngestApplied {
  const { slo, hash } = target
  const state = target
  const counts = new Map<number, MinuteCounts>()
  let outsideBound = 0
  for (const [minute, c] of deltas ?? []) {
    if (minute === OUTSIDE_BOUND_MINUTE || minute < state.epochSeconds) outsideBound += c.total
    else counts.set(minute, c)
  }
  const oldEnd = state.computedToSeconds
  const minutes = [...counts.keys()]
  const end = Math.max(oldEnd, opts.nowSeconds, ...minutes.map((m) => m + 60))
  const a = Math.max(state.epochSeconds, sliceAligner(slo.budgeting, slo.window)(Math.min(oldEnd, ...minutes)))
  const stored = (minute: number) => recalled(recent, slo.id, hash, minute)
  for (let m = a; m < oldEnd; m += 60) {
    const old = stored(m)
    if (!old) throw new Error(`SLO ${slo.id}: rollup minute ${new Date(m * 1000).toISOString()} is not in memory`)
    const c = counts.get(m)
    counts.set(m, { good: old.good + (c?.good ?? 0), total: old.total + (c?.total ?? 0) })
  }
  const before = a > state.epochSeconds ? stored(a - 60) : undefined
  if (a > state.epochSeconds && !before) throw new Error(`SLO ${slo.id}: rollup minute ${new Date((a - 60) * 1000).toISOString()} is not in memory`)
  const base = before ? { good: before.cum_good, total: before.cum_total, slices: before.cum_slices, slicesGood: before.cum_slices_good } : ZERO
  const rows = new CumulativeBuilder(slo.id, slo.budgeting, hash, base, slo.window).rows(a, end, counts, opts.computedAtMs, opts.cutMs)
  return { rows, computedToSeconds: end, outsideBound }
}
