import type { Storage } from '../../storage/index.ts'
import type { Logger } from '../../instrumentation/index.ts'
import type { Slo } from '../model.ts'
import { horizonSeconds } from '../evaluate/windows.ts'
import { confine } from '../confine.ts'
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
//
// Evaluation comes before catch-up: only SLOs whose rollups are at most
// `inlineSeconds` behind are brought up to date in the tick (updateRollups)
// and evaluated. Backfills and long catch-ups (the engine was down) are
// *pending*: the engine advances them after the tick's evaluations, a slice
// (a day of raw data) at a time within a time budget (advancePending),
// recording progress in the rollup state so that a restart resumes them. Once
// an SLO is within `inlineSeconds` of now it is evaluated again.

export interface RollupUpdate {
  /** SLOs whose rollups now reach the evaluation minute. */
  ready: Slo[]
  /** SLOs whose rollup queries failed, and why (confined: the others are ready). */
  failed: Map<string, unknown>
  /** Backfills and catch-ups left for advancePending. */
  pending: PendingJob[]
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
  /** Catch-ups up to this long run in the tick; longer ones, and backfills, are pending (default 1 h). */
  inlineSeconds?: number
  recent?: RecentSums
}

const DAY = 86400
const HOUR = 3600
const STATE_REFRESH_SECONDS = 600
/** SLOs per backfill slice: a day for 250 SLOs writes 360,000 rows, a few seconds' work. */
const SLICE_MAX_SLOS = 250

interface Job {
  slo: Slo
  hash: string
  fromSeconds: number
  epochSeconds: number
  backfill: boolean
  /** Running sums just before fromSeconds (ZERO at the epoch). */
  base: Cumulative
}

/** A backfill or catch-up that advancePending moves forward. */
export type PendingJob = Job

interface Outcome {
  failed: Map<string, unknown>
  unbounded: Map<string, number>
}

export async function updateRollups(storage: Storage, logger: Logger, slos: readonly Slo[], states: Map<string, RollupState>, opts: UpdateOptions): Promise<RollupUpdate> {
  const now = opts.nowSeconds
  const jobs = slos.map((slo) => plan(slo, states.get(slo.id), opts))
  const recent: RecentSums = opts.recent ?? new Map()
  const bases = await readBases(storage, jobs, recent)
  for (const job of jobs) {
    if (job.backfill || job.fromSeconds <= job.epochSeconds) continue
    const base = bases.get(pointKey(job.slo.id, job.fromSeconds - 60))
    // A lookback whose base row is missing (rows expired or lost) is rebuilt from the epoch.
    if (base) job.base = base
    else Object.assign(job, { fromSeconds: job.epochSeconds, backfill: true, base: ZERO })
  }
  const inlineSeconds = opts.inlineSeconds ?? HOUR
  const inline = jobs.filter((j) => !j.backfill && now - j.fromSeconds <= inlineSeconds)
  const pending = jobs.filter((j) => !inline.includes(j))
  const out: Outcome = { failed: new Map(), unbounded: new Map() }
  for (const group of groupByFrom(inline)) await runGroup(storage, group, now, opts, recent, out)
  await saveStates(storage, inline.filter((j) => !out.failed.has(j.slo.id)), states, now)
  return { ready: inline.filter((j) => !out.failed.has(j.slo.id)).map((j) => j.slo), failed: out.failed, pending, unbounded: out.unbounded }
}

export interface PendingProgress extends Outcome {
  /** Slices rolled up in this call. */
  slices: number
  /** SLOs whose rollups now reach the evaluation minute. */
  completed: Slo[]
  /** SLOs still pending after this call, and the most raw-data time any of them has left to roll up. */
  remainingSlos: number
  remainingSeconds: number
}

/**
 * Moves pending backfills and catch-ups forward a slice (one chunk of raw
 * data, a day by default, for up to 250 SLOs that start at the same minute)
 * at a time, round-robin over the groups, until `budgetMs` is spent (at least
 * one slice per call, so they always progress). Each slice's rows and state
 * are written before the next starts, so a restart resumes where it stopped.
 */
export async function advancePending(storage: Storage, logger: Logger, pending: readonly PendingJob[], states: Map<string, RollupState>, opts: UpdateOptions & { budgetMs: number }): Promise<PendingProgress> {
  const started = performance.now()
  const now = opts.nowSeconds
  const chunk = opts.chunkSeconds ?? DAY
  const out: Outcome = { failed: new Map(), unbounded: new Map() }
  const recent: RecentSums = opts.recent ?? new Map()
  const queue = groupByFrom(pending)
    .sort((a, b) => a[0]!.fromSeconds - b[0]!.fromSeconds)
    .flatMap((g) => Array.from({ length: Math.ceil(g.length / SLICE_MAX_SLOS) }, (_, i) => g.slice(i * SLICE_MAX_SLOS, (i + 1) * SLICE_MAX_SLOS)))
  const left = new Map(pending.map((j) => [j.slo.id, now - j.fromSeconds]))
  const completed: Slo[] = []
  let slices = 0
  while (queue.length > 0 && (slices === 0 || performance.now() - started < opts.budgetMs)) {
    const group = queue.shift()!
    const from = group[0]!.fromSeconds
    const to = Math.min(now, from + chunk)
    const { live, last } = await runGroup(storage, group, to, { ...opts, chunkSeconds: chunk }, recent, out)
    for (const j of group) if (out.failed.has(j.slo.id)) left.delete(j.slo.id)
    await saveStates(storage, live, states, to, true)
    slices++
    for (const j of live) left.set(j.slo.id, now - to)
    const remaining = [...left.values()].filter((s) => s > 0)
    logger.info(
      { slos: live.length, from: new Date(from * 1000).toISOString(), to: new Date(to * 1000).toISOString(), pendingSlos: remaining.length, remainingSeconds: Math.max(0, ...remaining) },
      'SLO rollup backfill slice done',
    )
    if (to >= now) completed.push(...live.map((j) => j.slo))
    if (to >= now || live.length === 0) continue
    for (const j of live) Object.assign(j, { fromSeconds: to, backfill: false, base: last.get(j.slo.id) ?? j.base })
    queue.push(live)
  }
  const remaining = [...left.values()].filter((s) => s > 0)
  return { ...out, slices, completed, remainingSlos: remaining.length, remainingSeconds: Math.max(0, ...remaining) }
}

function groupByFrom(jobs: readonly Job[]): Job[][] {
  const byFrom = new Map<number, Job[]>()
  for (const j of jobs) byFrom.set(j.fromSeconds, [...(byFrom.get(j.fromSeconds) ?? []), j])
  return [...byFrom.values()]
}

/**
 * Rolls a group of jobs that start at the same minute up to `toSeconds`, a
 * chunk of raw data at a time; returns the jobs that did not fail and the
 * running sums each reached.
 */
async function runGroup(storage: Storage, group: Job[], toSeconds: number, opts: UpdateOptions, recent: RecentSums, out: Outcome): Promise<{ live: Job[]; last: Map<string, Cumulative> }> {
  let live = group
  const builders = new Map(group.map((j) => [j.slo.id, new CumulativeBuilder(j.slo.id, j.slo.budgeting, j.hash, j.base, j.slo.window)]))
  const last = new Map<string, Cumulative>()
  const chunk = opts.chunkSeconds ?? DAY
  for (let start = group[0]!.fromSeconds; start < toSeconds; start += chunk) {
    const end = Math.min(toSeconds, start + chunk)
    const counted = await countRangeConfined(storage, live, { fromSeconds: start, toSeconds: end })
    if (counted.failed.size > 0) {
      for (const [id, error] of counted.failed) out.failed.set(id, error)
      live = live.filter((j) => !counted.failed.has(j.slo.id))
    }
    for (const [id, n] of counted.unbounded) out.unbounded.set(id, (out.unbounded.get(id) ?? 0) + n)
    const rows: RollupRow[] = []
    const computedAt = Date.now()
    for (const j of live) {
      const built = builders.get(j.slo.id)!.rows(start, end, counted.counts.get(j.slo.id), computedAt)
      // Minutes whose sums did not change since the last tick are already stored as they are.
      rows.push(...built.filter((r) => j.backfill || !unchanged(recent, j, r)))
      remember(recent, j, built, opts.nowSeconds - opts.lookbackSeconds - sliceSecondsOf(j.slo.budgeting) - 60)
      const lastRow = built.at(-1)
      if (lastRow) last.set(j.slo.id, { good: lastRow.cum_good, total: lastRow.cum_total, slices: lastRow.cum_slices, slicesGood: lastRow.cum_slices_good })
    }
    await insertRollups(storage, rows)
  }
  return { live, last }
}

/**
 * Records how far each job's rollups reach. The state is written when an
 * SLO's definition or epoch changes, after every backfill slice (`always`),
 * and otherwise every few minutes: a computed_to that lags after a restart
 * only makes the first tick recompute a little more.
 */
async function saveStates(storage: Storage, jobs: readonly Job[], states: Map<string, RollupState>, computedTo: number, always = false): Promise<void> {
  const changed: string[] = []
  for (const j of jobs) {
    const before = states.get(j.slo.id)
    const persistedTo = before?.persistedToSeconds ?? before?.computedToSeconds ?? 0
    const persist = always || !before || before.sliHash !== j.hash || before.epochSeconds !== j.epochSeconds || computedTo - persistedTo >= STATE_REFRESH_SECONDS
    if (persist) changed.push(j.slo.id)
    states.set(j.slo.id, { sliHash: j.hash, epochSeconds: j.epochSeconds, computedToSeconds: computedTo, persistedToSeconds: persist ? computedTo : persistedTo })
  }
  if (changed.length > 0) await saveRollupState(storage, states, changed)
}

/** countRange over a group, bisected on failure so an SLO whose query fails only fails itself. */
async function countRangeConfined(storage: Storage, group: Job[], range: { fromSeconds: number; toSeconds: number }) {
  const out = await confine(group, (part) => countRange(storage, part.map((j) => j.slo), range))
  const counts = new Map(out.done.flatMap((d) => [...d.result.counts]))
  const unbounded = new Map(out.done.flatMap((d) => [...d.result.unbounded]))
  return { counts, unbounded, failed: new Map(out.failed.map((f) => [f.item.slo.id, f.error])) }
}

function plan(slo: Slo, state: RollupState | undefined, opts: UpdateOptions): Job {
  const now = opts.nowSeconds
  const sliceStart = sliceAligner(slo.budgeting, slo.window)
  const hash = sliHash(slo)
  const needed = sliceStart(now - horizonSeconds(slo, now, opts.extraWindowsSeconds(slo)))
  if (!state || state.sliHash !== hash || state.epochSeconds > needed || state.computedToSeconds < needed) {
    return { slo, hash, fromSeconds: needed, epochSeconds: needed, backfill: true, base: ZERO }
  }
  const from = sliceStart(Math.min(now - opts.lookbackSeconds, state.computedToSeconds))
  return { slo, hash, fromSeconds: Math.max(from, state.epochSeconds), epochSeconds: state.epochSeconds, backfill: false, base: ZERO }
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
