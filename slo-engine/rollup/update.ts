import type { Storage } from '../../storage/index.ts'
import type { Logger } from '../../instrumentation/index.ts'
import type { Slo } from '../model.ts'
import { horizonSeconds } from '../evaluate/windows.ts'
import { countRange } from './compute.ts'
import { CumulativeBuilder, sliceAligner, sliceSecondsOf, ZERO, type Cumulative, type RollupRow } from './cumulative.ts'
import { insertRollups, pointKey, readCumulative, saveRollupState, sliHash, type RollupState } from './store.ts'

// One tick's rollup work. For each SLO whose SLI cairn computes:
// - a new SLO, a changed SLI or budgeting, or a window that now reaches
//   further back than the rollups do: backfill from the start of its horizon,
//   from whatever raw data is still stored;
// - otherwise recompute the trailing lookback (late data lands there), or from
//   where the last tick stopped if that is earlier (the engine was down).
// Recomputed minutes replace the earlier rows (same values when nothing
// arrived late, so repeating a tick changes nothing).

export interface RollupUpdate {
  /** SLOs whose rollups now reach the evaluation minute. */
  ready: Slo[]
  backfilled: string[]
  unbounded: Map<string, number>
}

/** Running sums of the last minutes each SLO was rolled up to, kept between ticks so the next lookback needs no read. */
export type RecentSums = Map<string, { hash: string; rows: Map<number, RollupRow> }>

export interface UpdateOptions {
  nowSeconds: number
  lookbackSeconds: number
  extraWindowsSeconds: (slo: Slo) => number[]
  /** Raw data is read in ranges of this length, so a backfill never holds more than one in memory. */
  chunkSeconds?: number
  recent?: RecentSums
}

const DAY = 86400
const STATE_REFRESH_SECONDS = 600

interface Job {
  slo: Slo
  hash: string
  fromSeconds: number
  epochSeconds: number
  backfill: boolean
}

export async function updateRollups(storage: Storage, logger: Logger, slos: readonly Slo[], states: Map<string, RollupState>, opts: UpdateOptions): Promise<RollupUpdate> {
  const now = opts.nowSeconds
  const jobs = slos.map((slo) => plan(slo, states.get(slo.id), opts))
  const recent: RecentSums = opts.recent ?? new Map()
  const bases = await readBases(storage, jobs, recent)
  const byFrom = new Map<number, Job[]>()
  for (const job of jobs) {
    // A lookback whose base row is missing (rows expired or lost) is rebuilt from the epoch.
    if (!job.backfill && job.fromSeconds > job.epochSeconds && !bases.has(pointKey(job.slo.id, job.fromSeconds - 60))) {
      Object.assign(job, { fromSeconds: job.epochSeconds, backfill: true })
    }
    byFrom.set(job.fromSeconds, [...(byFrom.get(job.fromSeconds) ?? []), job])
  }
  const unbounded = new Map<string, number>()
  for (const [from, group] of byFrom) {
    const builders = new Map(group.map((j) => [j.slo.id, new CumulativeBuilder(j.slo.id, j.slo.budgeting, j.hash, j.fromSeconds > j.epochSeconds ? bases.get(pointKey(j.slo.id, from - 60))! : ZERO, j.slo.window)]))
    const chunk = opts.chunkSeconds ?? DAY
    for (let start = from; start < now; start += chunk) {
      const end = Math.min(now, start + chunk)
      const counted = await countRange(storage, group.map((j) => j.slo), { fromSeconds: start, toSeconds: end })
      for (const [id, n] of counted.unbounded) unbounded.set(id, (unbounded.get(id) ?? 0) + n)
      const rows: RollupRow[] = []
      const computedAt = Date.now()
      for (const j of group) {
        const built = builders.get(j.slo.id)!.rows(start, end, counted.counts.get(j.slo.id), computedAt)
        // Minutes whose sums did not change since the last tick are already stored as they are.
        rows.push(...built.filter((r) => j.backfill || !unchanged(recent, j, r)))
        remember(recent, j, built, now - opts.lookbackSeconds - sliceSecondsOf(j.slo.budgeting) - 60)
      }
      await insertRollups(storage, rows)
    }
  }
  // The state is written when an SLO's definition or epoch changes, and otherwise every few minutes: a
  // computed_to that lags after a restart only makes the first tick recompute a little more.
  const changed: string[] = []
  for (const j of jobs) {
    const before = states.get(j.slo.id)
    const persist = !before || before.sliHash !== j.hash || before.epochSeconds !== j.epochSeconds || now - (before.persistedToSeconds ?? before.computedToSeconds) >= STATE_REFRESH_SECONDS
    if (persist) changed.push(j.slo.id)
    const persisted = persist ? now : (before.persistedToSeconds ?? before.computedToSeconds)
    states.set(j.slo.id, { sliHash: j.hash, epochSeconds: j.epochSeconds, computedToSeconds: now, persistedToSeconds: persisted })
  }
  if (changed.length > 0) await saveRollupState(storage, states, changed)
  const backfilled = jobs.filter((j) => j.backfill).map((j) => j.slo.id)
  if (backfilled.length > 0) logger.info({ slos: backfilled }, 'SLO rollups backfilled from the stored telemetry')
  return { ready: [...slos], backfilled, unbounded }
}

function plan(slo: Slo, state: RollupState | undefined, opts: UpdateOptions): Job {
  const now = opts.nowSeconds
  const sliceStart = sliceAligner(slo.budgeting, slo.window)
  const hash = sliHash(slo)
  const needed = sliceStart(now - horizonSeconds(slo, now, opts.extraWindowsSeconds(slo)))
  if (!state || state.sliHash !== hash || state.epochSeconds > needed || state.computedToSeconds < needed) {
    return { slo, hash, fromSeconds: needed, epochSeconds: needed, backfill: true }
  }
  const from = sliceStart(Math.min(now - opts.lookbackSeconds, state.computedToSeconds))
  return { slo, hash, fromSeconds: Math.max(from, state.epochSeconds), epochSeconds: state.epochSeconds, backfill: false }
}

/** The sums the last tick computed for this minute, if the SLI definition is still the same. */
function recalled(recent: RecentSums, job: Job, minute: number): RollupRow | undefined {
  const entry = recent.get(job.slo.id)
  return entry?.hash === job.hash ? entry.rows.get(minute) : undefined
}

function unchanged(recent: RecentSums, job: Job, row: RollupRow): boolean {
  const known = recalled(recent, job, row.minute)
  return !!known && known.good === row.good && known.total === row.total && known.cum_good === row.cum_good && known.cum_total === row.cum_total && known.cum_slices === row.cum_slices && known.cum_slices_good === row.cum_slices_good
}

/** Keeps the sums of the minutes from `keepFrom` on, which the next tick's lookback starts from. */
function remember(recent: RecentSums, job: Job, rows: RollupRow[], keepFrom: number): void {
  let entry = recent.get(job.slo.id)
  if (!entry || entry.hash !== job.hash) recent.set(job.slo.id, (entry = { hash: job.hash, rows: new Map() }))
  for (const r of rows) if (r.minute >= keepFrom) entry.rows.set(r.minute, r)
  for (const minute of entry.rows.keys()) if (minute < keepFrom) entry.rows.delete(minute)
}

/** The running sums just before each job's first minute: from memory when the last tick left them, else from the table. */
async function readBases(storage: Storage, jobs: Job[], recent: RecentSums): Promise<Map<string, Cumulative>> {
  const bases = new Map<string, Cumulative>()
  const missing: Job[] = []
  for (const j of jobs) {
    if (j.backfill || j.fromSeconds <= j.epochSeconds) continue
    const known = recalled(recent, j, j.fromSeconds - 60)
    if (known) bases.set(pointKey(j.slo.id, j.fromSeconds - 60), { good: known.cum_good, total: known.cum_total, slices: known.cum_slices, slicesGood: known.cum_slices_good })
    else missing.push(j)
  }
  const minutes = [...new Set(missing.map((j) => j.fromSeconds - 60))]
  const read = await readCumulative(storage, new Map(missing.map((j) => [j.slo.id, j.hash])), minutes)
  for (const [k, v] of read) bases.set(k, v)
  return bases
}
