import type { Storage } from '../../storage/index.ts'
import type { Logger } from '../../instrumentation/index.ts'
import type { Slo } from '../model.ts'
import { horizonSeconds } from '../evaluate/windows.ts'
import { countRange } from './compute.ts'
import { alignDown, CumulativeBuilder, sliceSecondsOf, ZERO, type Cumulative, type RollupRow } from './cumulative.ts'
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

export interface UpdateOptions {
  nowSeconds: number
  lookbackSeconds: number
  extraWindowsSeconds: (slo: Slo) => number[]
  /** Raw data is read in ranges of this length, so a backfill never holds more than one in memory. */
  chunkSeconds?: number
}

const DAY = 86400

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
  const bases = await readBases(storage, jobs)
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
    const builders = new Map(group.map((j) => [j.slo.id, new CumulativeBuilder(j.slo.id, j.slo.budgeting, j.hash, j.fromSeconds > j.epochSeconds ? bases.get(pointKey(j.slo.id, from - 60))! : ZERO)]))
    const chunk = opts.chunkSeconds ?? DAY
    for (let start = from; start < now; start += chunk) {
      const end = Math.min(now, start + chunk)
      const counted = await countRange(storage, group.map((j) => j.slo), { fromSeconds: start, toSeconds: end })
      for (const [id, n] of counted.unbounded) unbounded.set(id, (unbounded.get(id) ?? 0) + n)
      const rows: RollupRow[] = []
      const computedAt = Date.now()
      for (const j of group) rows.push(...builders.get(j.slo.id)!.rows(start, end, counted.counts.get(j.slo.id), computedAt))
      await insertRollups(storage, rows)
    }
    for (const j of group) states.set(j.slo.id, { sliHash: j.hash, epochSeconds: j.epochSeconds, computedToSeconds: now })
  }
  if (jobs.length > 0) await saveRollupState(storage, states, jobs.map((j) => j.slo.id))
  const backfilled = jobs.filter((j) => j.backfill).map((j) => j.slo.id)
  if (backfilled.length > 0) logger.info({ slos: backfilled }, 'SLO rollups backfilled from the stored telemetry')
  return { ready: [...slos], backfilled, unbounded }
}

function plan(slo: Slo, state: RollupState | undefined, opts: UpdateOptions): Job {
  const now = opts.nowSeconds
  const step = sliceSecondsOf(slo.budgeting)
  const hash = sliHash(slo)
  const needed = alignDown(now - horizonSeconds(slo, now, opts.extraWindowsSeconds(slo)), step)
  if (!state || state.sliHash !== hash || state.epochSeconds > needed || state.computedToSeconds < needed) {
    return { slo, hash, fromSeconds: needed, epochSeconds: needed, backfill: true }
  }
  const from = alignDown(Math.min(now - opts.lookbackSeconds, state.computedToSeconds), step)
  return { slo, hash, fromSeconds: Math.max(from, state.epochSeconds), epochSeconds: state.epochSeconds, backfill: false }
}

/** The running sums just before each job's first minute. */
async function readBases(storage: Storage, jobs: Job[]): Promise<Map<string, Cumulative>> {
  const incremental = jobs.filter((j) => !j.backfill && j.fromSeconds > j.epochSeconds)
  const minutes = [...new Set(incremental.map((j) => j.fromSeconds - 60))]
  return readCumulative(storage, new Map(incremental.map((j) => [j.slo.id, j.hash])), minutes)
}
