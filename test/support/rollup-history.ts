import type { Storage } from '../../storage/index.ts'
import { ENGINE_TABLES, type Slo } from '../../slo-engine/index.ts'
import { sliHash } from '../../slo-engine/rollup/store.ts'

// Rollups as if the engine had run for `days` (dense running sums per SLO and
// minute, 100 events a minute with one bad in seven minutes), written by
// ClickHouse in bulk, and the rollup state that says so. Shared by the
// engine's cold-start test and bench:engine.

const DAY = 86400

/** Seeds `days` of rollups ending just before `nowSeconds`; calls `onDay` after each day written. Returns the rows written. */
export async function seedRollupHistory(storage: Storage, slos: readonly Slo[], nowSeconds: number, days: number, onDay?: (day: number) => void): Promise<number> {
  const epoch = nowSeconds - days * DAY
  const ids = slos.map((s) => s.id)
  const hashes = slos.map((s) => sliHash(s))
  for (let day = 0; day < days; day++) {
    await storage.command(
      `INSERT INTO ${ENGINE_TABLES.rollups} (minute, slo_id, good, total, cum_good, cum_total, cum_slices, cum_slices_good, sli_hash, computed_at)
       SELECT toDateTime({epoch:UInt32} + k * 60) AS minute, {ids:Array(String)}[s + 1], 100 - (k % 7 = 0), 100, 100 * (k + 1) - (intDiv(k, 7) + 1), 100 * (k + 1), 0, 0, {hashes:Array(String)}[s + 1], now64(3)
       FROM (SELECT number % {n:UInt32} AS s, {day:UInt32} * 1440 + intDiv(number, {n:UInt32}) AS k FROM numbers({rows:UInt64}))`,
      { epoch, ids, hashes, n: ids.length, day, rows: ids.length * 1440 },
    )
    onDay?.(day + 1)
  }
  await storage.insertRows(
    ENGINE_TABLES.rollupState,
    // As an engine of this version leaves it: span and log SLOs with their ingest watermark (the rows stored until now are counted).
    slos.map((s, i) => ({ slo_id: s.id, sli_hash: hashes[i], epoch_minute: epoch, computed_to: nowSeconds, updated_at: Date.now(), ingested_to: Date.now(), ingest_complete: 1 })),
  )
  return ids.length * days * 1440
}

/**
 * Running sums of one SLO at a few minutes (`at`: ISO of the minute's start),
 * and its rollup state (epoch and computed-to as ISO): the rows an evaluation
 * or a report reads at its window's or period's edges.
 */
export async function seedRollupEdges(storage: Storage, slo: Slo, state: { epoch: string; computedTo: string }, points: { at: string; good: number; total: number }[]): Promise<void> {
  const hash = sliHash(slo)
  const seconds = (iso: string) => Date.parse(iso) / 1000
  await storage.insertRows(
    ENGINE_TABLES.rollups,
    points.map((p) => ({ minute: seconds(p.at), slo_id: slo.id, good: 0, total: 0, cum_good: p.good, cum_total: p.total, cum_slices: 0, cum_slices_good: 0, sli_hash: hash, computed_at: Date.now() })),
  )
  await storage.insertRows(ENGINE_TABLES.rollupState, [{ slo_id: slo.id, sli_hash: hash, epoch_minute: seconds(state.epoch), computed_to: seconds(state.computedTo), updated_at: Date.now() }])
}
