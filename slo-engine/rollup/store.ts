import { createHash } from 'node:crypto'
import type { Storage } from '../../storage/index.ts'
import type { Slo } from '../model.ts'
import { ENGINE_TABLES } from '../tables.ts'
import { zoneAlignedSlices, type Cumulative, type RollupRow } from './cumulative.ts'

// Reads and writes of the rollup tables.

/** What an SLO's rollups follow: a change of SLI or budgeting recomputes them. */
export function sliHash(slo: Slo): string {
  // Slices of calendar windows follow the zone's local days: the zone is part of what the rollups count.
  const zone = zoneAlignedSlices(slo.budgeting, slo.window) ? { sliceZone: slo.window.timeZone } : {}
  return createHash('sha256').update(JSON.stringify({ sli: slo.sli, budgeting: slo.budgeting, ...zone })).digest('hex').slice(0, 16)
}

export interface RollupState {
  sliHash: string
  /** First minute the rollups count (Unix seconds); cum(minute before) is 0. */
  epochSeconds: number
  /** Minutes before this one (Unix seconds) are computed. */
  computedToSeconds: number
  /** The computed_to last written to the state table (it is refreshed every few minutes, not every tick). */
  persistedToSeconds?: number
}

export async function loadRollupState(storage: Storage): Promise<Map<string, RollupState>> {
  const rows = await storage.query<{ slo_id: string; sli_hash: string; epoch: number; computed_to: number }>(
    `SELECT slo_id, argMax(sli_hash, updated_at) AS sli_hash, toUInt32(argMax(epoch_minute, updated_at)) AS epoch, toUInt32(argMax(computed_to, updated_at)) AS computed_to
     FROM ${ENGINE_TABLES.rollupState} GROUP BY slo_id`,
  )
  return new Map(rows.map((r) => [r.slo_id, { sliHash: r.sli_hash, epochSeconds: Number(r.epoch), computedToSeconds: Number(r.computed_to) }]))
}

export async function saveRollupState(storage: Storage, states: Map<string, RollupState>, ids: Iterable<string>): Promise<void> {
  const now = Date.now()
  const rows = [...ids].map((id) => {
    const s = states.get(id)!
    return { slo_id: id, sli_hash: s.sliHash, epoch_minute: s.epochSeconds, computed_to: s.computedToSeconds, updated_at: now }
  })
  await storage.insertRows(ENGINE_TABLES.rollupState, rows)
}

/** Rows go in batches so a backfill never builds one huge request. */
const INSERT_BATCH_ROWS = 50_000

export async function insertRollups(storage: Storage, rows: RollupRow[]): Promise<void> {
  for (let i = 0; i < rows.length; i += INSERT_BATCH_ROWS) {
    // JSONCompactEachRow in the table's column order: compact, and no row objects to key.
    const body = rows
      .slice(i, i + INSERT_BATCH_ROWS)
      .map((r) => `[${r.minute},${JSON.stringify(r.slo_id)},${r.good},${r.total},${r.cum_good},${r.cum_total},${r.cum_slices},${r.cum_slices_good},${JSON.stringify(r.sli_hash)},${r.computed_at}]`)
      .join('\n')
    await storage.insertRaw(ENGINE_TABLES.rollups, 'JSONCompactEachRow', Buffer.from(`${body}\n`))
  }
}

/** Key of one SLO's running sums at one minute. */
export const pointKey = (sloId: string, minute: number) => `${sloId}\u0000${minute}`

/**
 * The running sums of the given SLOs at the given minutes, keeping only rows
 * of each SLO's current definition. One query, whatever the windows' length.
 */
export async function readCumulative(storage: Storage, hashes: Map<string, string>, minutes: readonly number[]): Promise<Map<string, Cumulative>> {
  if (hashes.size === 0 || minutes.length === 0) return new Map()
  const rows = await storage.query<{ slo_id: string; minute: number; hash: string; good: number; total: number; slices: number; slices_good: number }>(
    `SELECT slo_id, toUInt32(minute) AS minute, argMax(sli_hash, computed_at) AS hash,
       argMax(cum_good, computed_at) AS good, argMax(cum_total, computed_at) AS total,
       argMax(cum_slices, computed_at) AS slices, argMax(cum_slices_good, computed_at) AS slices_good
     FROM ${ENGINE_TABLES.rollups}
     WHERE minute IN {minutes:Array(DateTime)} AND slo_id IN {ids:Array(String)}
     GROUP BY slo_id, minute`,
    { minutes: [...minutes], ids: [...hashes.keys()] },
  )
  const out = new Map<string, Cumulative>()
  for (const r of rows) {
    if (r.hash !== hashes.get(r.slo_id)) continue
    out.set(pointKey(r.slo_id, Number(r.minute)), { good: r.good, total: r.total, slices: r.slices, slicesGood: r.slices_good })
  }
  return out
}
