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
  /**
   * Span and log SLIs: the ingest watermark, Unix ms. The rows stored before
   * it are counted: all of them when `ingestComplete`, else those whose event
   * is before computedToSeconds (a backfill under way). 0: unknown (rollups
   * written before the watermark existed).
   */
  ingestedToMs: number
  ingestComplete: boolean
}

export async function loadRollupState(storage: Storage): Promise<Map<string, RollupState>> {
  const rows = await storage.query<{ slo_id: string; sli_hash: string; epoch: number; computed_to: number; ingested_to: string; complete: number }>(
    `SELECT slo_id, argMax(sli_hash, updated_at) AS sli_hash, toUInt32(argMax(epoch_minute, updated_at)) AS epoch, toUInt32(argMax(computed_to, updated_at)) AS computed_to,
       toUnixTimestamp64Milli(argMax(ingested_to, updated_at)) AS ingested_to, argMax(ingest_complete, updated_at) AS complete
     FROM ${ENGINE_TABLES.rollupState} GROUP BY slo_id`,
  )
  return new Map(
    rows.map((r) => [r.slo_id, { sliHash: r.sli_hash, epochSeconds: Number(r.epoch), computedToSeconds: Number(r.computed_to), ingestedToMs: Number(r.ingested_to), ingestComplete: Number(r.complete) === 1 }]),
  )
}

export async function saveRollupState(storage: Storage, states: Map<string, RollupState>, ids: Iterable<string>): Promise<void> {
  const now = Date.now()
  const rows = [...ids].map((id) => {
    const s = states.get(id)!
    return { slo_id: id, sli_hash: s.sliHash, epoch_minute: s.epochSeconds, computed_to: s.computedToSeconds, updated_at: now, ingested_to: s.ingestedToMs, ingest_complete: s.ingestComplete ? 1 : 0 }
  })
  await storage.insertRows(ENGINE_TABLES.rollupState, rows)
}

/** Rows go in batches so a backfill never builds one huge request. */
const INSERT_BATCH_ROWS = 50_000

/**
 * Writes rollup rows, which must come grouped by SLO. A batch never splits the
 * rows of one SLO unless that SLO alone has more than a batch (a backfill,
 * which is redone whole if interrupted): the rows a tick writes for an SLO,
 * watermark included, land in one insert.
 */
export async function insertRollups(storage: Storage, rows: RollupRow[]): Promise<void> {
  let start = 0
  while (start < rows.length) {
    let end = Math.min(rows.length, start + INSERT_BATCH_ROWS)
    // Back to the first row of the SLO the batch would split, if the batch holds more than that SLO.
    let cut = end
    while (end < rows.length && cut > start && rows[cut - 1]!.slo_id === rows[end]!.slo_id) cut--
    if (cut > start) end = cut
    // JSONCompactEachRow in the table's column order: compact, and no row objects to key.
    const body = rows
      .slice(start, end)
      .map((r) => `[${r.minute},${JSON.stringify(r.slo_id)},${r.good},${r.total},${r.cum_good},${r.cum_total},${r.cum_slices},${r.cum_slices_good},${JSON.stringify(r.sli_hash)},${r.computed_at},${r.ingested_to}]`)
      .join('\n')
    await storage.insertRaw(ENGINE_TABLES.rollups, 'JSONCompactEachRow', Buffer.from(`${body}\n`))
    start = end
  }
}

/**
 * Every rollup row of the given SLOs from `fromMinute` on (the latest version
 * of each minute, of the SLO's current definition), by SLO and minute: one
 * range read through the table's (minute, slo_id) ordering.
 */
export async function readRollupRows(storage: Storage, hashes: Map<string, string>, fromMinute: number): Promise<Map<string, Map<number, RollupRow>>> {
  const out = new Map<string, Map<number, RollupRow>>()
  if (hashes.size === 0) return out
  // Aliases differ from the column names: an alias equal to a column would stand for it inside the other aggregates.
  const rows = await storage.query<Record<string, number | string>>(
    `SELECT slo_id AS id, toUInt32(minute) AS m, argMax(sli_hash, computed_at) AS hash, argMax(good, computed_at) AS g, argMax(total, computed_at) AS t,
       argMax(cum_good, computed_at) AS cg, argMax(cum_total, computed_at) AS ct, argMax(cum_slices, computed_at) AS cs,
       argMax(cum_slices_good, computed_at) AS csg, toUnixTimestamp64Milli(max(computed_at)) AS at_ms,
       toUnixTimestamp64Milli(argMax(ingested_to, computed_at)) AS ingested_ms
     FROM ${ENGINE_TABLES.rollups}
     WHERE minute >= toDateTime({from:UInt32}) AND slo_id IN {ids:Array(String)}
     GROUP BY slo_id, minute`,
    { from: fromMinute, ids: [...hashes.keys()] },
  )
  for (const r of rows) {
    const id = String(r.id)
    if (r.hash !== hashes.get(id)) continue
    let perSlo = out.get(id)
    if (!perSlo) out.set(id, (perSlo = new Map()))
    const n = (k: string) => Number(r[k])
    const row: RollupRow = {
      slo_id: id,
      minute: n('m'),
      good: n('g'),
      total: n('t'),
      cum_good: n('cg'),
      cum_total: n('ct'),
      cum_slices: n('cs'),
      cum_slices_good: n('csg'),
      sli_hash: String(r.hash),
      computed_at: n('at_ms'),
      ingested_to: n('ingested_ms'),
    }
    perSlo.set(row.minute, row)
  }
  return out
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
