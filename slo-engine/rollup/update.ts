import type { Storage } from '../../storage/index.ts'
import type { Logger } from '../../instrumentation/index.ts'
import type { Slo } from '../model.ts'
import { horizonSeconds } from '../evaluate/windows.ts'
import { confine } from '../confine.ts'
import type { MinuteCounts } from '../sli/match.ts'
import { OPEN_END_SECONDS, OUTSIDE_BOUND_MINUTE, type RawSelection } from '../sli/queries.ts'
import { countRange } from './compute.ts'
import { CumulativeBuilder, sliceAligner, sliceSecondsOf, ZERO, type Cumulative, type RollupRow } from './cumulative.ts'
import { applyIngest, ingestKeepFrom, isIngestSli, readIngestCut, recalled, remember, resumeFromRows, SLOW_INSERT_WARN_MS, type RecentSums } from './ingest.ts'
import { insertRollups, pointKey, readCumulative, saveRollupState, sliHash, type RollupState } from './store.ts'

export type { RecentSums }

// One tick's rollup work. For each SLO whose SLI cairn computes:
// - a new SLO, a changed SLI or budgeting, or a window that now reaches
//   further back than the rollups do: a backfill from the start of its
//   horizon, from whatever raw data is still stored, read by event time;
// - span and log SLIs otherwise: the rows stored since the SLO's ingest
//   watermark (ingest.ts): each row is read once, whenever it arrives within
//   the lateness bound, and counted at its event minute;
// - metric SLIs (counters and histograms, whose increases need each series'
//   previous point): the trailing lookback read again by time, or from where
//   the last tick stopped if that is earlier (the engine was down).
// Rewritten minutes replace the earlier rows; minutes whose values did not
// change are not written again.
//
// Evaluation comes before catch-up: only SLOs whose rollups are at most
// `inlineSeconds` behind (for span and log SLIs: whose watermark is) are
// brought up to date in the tick (updateRollups) and evaluated. Backfills and
// long catch-ups are *pending*: the engine advances them after the tick's
// evaluations, a slice (a day of raw data, an hour of stored rows) at a time
// within a time budget (advancePending), recording progress in the rollup
// state so that a restart resumes them. Once an SLO is current it is evaluated again.

export interface RollupUpdate {
  /** SLOs whose rollups now reach the evaluation minute. */
  ready: Slo[]
  /** SLOs whose rollup queries failed, and why (confined: the others are ready). */
  failed: Map<string, unknown>
  /** Backfills and catch-ups left for advancePending. */
  pending: PendingJob[]
  unbounded: Map<string, number>
  /** Span and log events outside the lateness bound, per SLO: not counted. */
  outsideBound: Map<string, number>
}

export interface UpdateOptions {
  nowSeconds: number
  /** Metric SLIs: trailing time read again every tick. */
  lookbackSeconds: number
  /** Span and log events stored more than this after (or before) their time are not counted (default 1 h). */
  latenessSeconds?: number
  /** How far before the server's clock the ingest cut stays (default 0; ingest.ts readIngestCut). */
  ingestMarginMs?: number
  extraWindowsSeconds: (slo: Slo) => number[]
  /** Raw data is read in ranges of this length, so a backfill never holds more than one in memory. */
  chunkSeconds?: number
  /** Catch-ups up to this long run in the tick; longer ones, and backfills, are pending (default 1 h). */
  inlineSeconds?: number
  /** Stored rows one slice of a pending ingest catch-up reads (default 1 h). */
  ingestChunkMs?: number
  recent?: RecentSums
}

const DAY = 86400
const HOUR = 3600
const STATE_REFRESH_SECONDS = 600
/** SLOs per backfill slice: a day for 250 SLOs writes 360,000 rows, a few seconds' work. */
const SLICE_MAX_SLOS = 250
/** Stored rows one slice of a long ingest catch-up reads. */
const INGEST_CHUNK_MS = HOUR * 1000

interface Job {
  slo: Slo
  hash: string
  epochSeconds: number
  /** range: raw rows read by event time from fromSeconds; ingest: rows stored in [ingestFromMs, cutMs), fromSeconds being where the rollups end. */
  mode: 'range' | 'ingest'
  fromSeconds: number
  backfill: boolean
  /** Running sums just before fromSeconds (ZERO at the epoch); range jobs. */
  base: Cumulative
  /** Span and log SLIs: the rows stored before this (Unix ms) are counted; 0 for metric SLIs. */
  cutMs: number
  ingestFromMs: number
  /** Range reads of spans also read the spans that started this long before the range, to count them at their end. */
  widenSeconds: number
  latenessSeconds: number
  /** Where the last run left the SLO's rollups. */
  reached?: { computedToSeconds: number; ingestedToMs: number; complete: boolean }
}

/** A backfill or catch-up that advancePending moves forward. */
export type PendingJob = Job

interface Outcome {
  failed: Map<string, unknown>
  unbounded: Map<string, number>
  outsideBound: Map<string, number>
}

const newOutcome = (): Outcome => ({ failed: new Map(), unbounded: new Map(), outsideBound: new Map() })
const addTo = (m: Map<string, number>, id: string, n: number) => n > 0 && m.set(id, (m.get(id) ?? 0) + n)

export async function updateRollups(storage: Storage, logger: Logger, slos: readonly Slo[], states: Map<string, RollupState>, opts: UpdateOptions): Promise<RollupUpdate> {
  const now = opts.nowSeconds
  const lateness = opts.latenessSeconds ?? HOUR
  const recent: RecentSums = opts.recent ?? new Map()
  const cutMs = slos.some(isIngestSli) ? await ingestCut(storage, logger, opts.ingestMarginMs ?? 0) : 0
  await resumeIngest(storage, logger, slos, states, recent, now, lateness)
  const jobs = slos.map((slo) => plan(slo, states.get(slo.id), opts, cutMs, lateness))
  const bases = await readBases(storage, jobs, recent)
  for (const job of jobs) {
    if (job.mode === 'ingest' || job.backfill || job.fromSeconds <= job.epochSeconds) continue
    const base = bases.get(pointKey(job.slo.id, job.fromSeconds - 60))
    // A catch-up whose base row is missing (rows expired or lost) is rebuilt from the epoch.
    if (base) job.base = base
    else Object.assign(job, { fromSeconds: job.epochSeconds, backfill: true, base: ZERO, widenSeconds: job.cutMs > 0 ? lateness : 0 })
  }
  const inlineSeconds = opts.inlineSeconds ?? HOUR
  const behindSeconds = (j: Job) => (j.mode === 'ingest' ? (j.cutMs - j.ingestFromMs) / 1000 : now - j.fromSeconds)
  const inline = jobs.filter((j) => !j.backfill && behindSeconds(j) <= inlineSeconds)
  const pending = jobs.filter((j) => !inline.includes(j))
  const out = newOutcome()
  for (const group of groupJobs(inline)) {
    if (group[0]!.mode === 'ingest') await runIngest(storage, group, cutMs, opts, recent, out)
    else await runRange(storage, group, now, opts, recent, out)
  }
  const done = inline.filter((j) => !out.failed.has(j.slo.id))
  await saveStates(storage, done, states)
  return { ready: done.map((j) => j.slo), failed: out.failed, pending, unbounded: out.unbounded, outsideBound: out.outsideBound }
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
 * Moves pending backfills and catch-ups forward a slice (a chunk of raw data,
 * a day by default, or an hour of stored rows, for up to 250 SLOs at the same
 * point) at a time, round-robin over the groups, until `budgetMs` is spent (at
 * least one slice per call, so they always progress). Each slice's rows and
 * state are written before the next starts, so a restart resumes where it stopped.
 */
export async function advancePending(storage: Storage, logger: Logger, pending: readonly PendingJob[], states: Map<string, RollupState>, opts: UpdateOptions & { budgetMs: number }): Promise<PendingProgress> {
  const started = performance.now()
  const now = opts.nowSeconds
  const chunk = opts.chunkSeconds ?? DAY
  const out = newOutcome()
  const recent: RecentSums = opts.recent ?? new Map()
  const position = (j: Job) => (j.mode === 'ingest' ? j.ingestFromMs / 1000 : j.fromSeconds)
  const queue = groupJobs(pending)
    .sort((a, b) => position(a[0]!) - position(b[0]!))
    .flatMap((g) => Array.from({ length: Math.ceil(g.length / SLICE_MAX_SLOS) }, (_, i) => g.slice(i * SLICE_MAX_SLOS, (i + 1) * SLICE_MAX_SLOS)))
  const remainingOf = (j: Job) => (j.mode === 'ingest' ? Math.ceil((j.cutMs - j.ingestFromMs) / 1000) : now - j.fromSeconds)
  const left = new Map(pending.map((j) => [j.slo.id, remainingOf(j)]))
  const completed: Slo[] = []
  let slices = 0
  while (queue.length > 0 && (slices === 0 || performance.now() - started < opts.budgetMs)) {
    const group = queue.shift()!
    const head = group[0]!
    const from = position(head)
    const finished = head.mode === 'ingest' ? await ingestSlice(storage, group, opts, recent, out) : await rangeSlice(storage, group, Math.min(now, head.fromSeconds + chunk), { ...opts, chunkSeconds: chunk }, recent, out)
    const live = group.filter((j) => !out.failed.has(j.slo.id))
    for (const j of group) if (out.failed.has(j.slo.id)) left.delete(j.slo.id)
    await saveStates(storage, live, states, true)
    slices++
    for (const j of live) left.set(j.slo.id, finished ? 0 : remainingOf(j))
    const remaining = [...left.values()].filter((s) => s > 0)
    logger.info(
      { slos: live.length, mode: head.mode, from: new Date(from * 1000).toISOString(), to: new Date(position(head) * 1000).toISOString(), pendingSlos: remaining.length, remainingSeconds: Math.max(0, ...remaining) },
      'SLO rollup backfill slice done',
    )
    if (finished) completed.push(...live.map((j) => j.slo))
    else if (live.length > 0) queue.push(live)
  }
  const remaining = [...left.values()].filter((s) => s > 0)
  return { ...out, slices, completed, remainingSlos: remaining.length, remainingSeconds: Math.max(0, ...remaining) }
}

/** One slice of a range job group; true when it reached now. The jobs move on to where it ended. */
async function rangeSlice(storage: Storage, group: Job[], to: number, opts: UpdateOptions, recent: RecentSums, out: Outcome): Promise<boolean> {
  const { live, last } = await runRange(storage, group, to, opts, recent, out)
  if (to >= opts.nowSeconds) return true
  for (const j of live) Object.assign(j, { fromSeconds: to, backfill: false, base: last.get(j.slo.id) ?? j.base })
  return false
}

/** One slice (an hour of stored rows) of an ingest catch-up; true when it reached the cut. */
async function ingestSlice(storage: Storage, group: Job[], opts: UpdateOptions, recent: RecentSums, out: Outcome): Promise<boolean> {
  const head = group[0]!
  const to = Math.min(head.cutMs, head.ingestFromMs + (opts.ingestChunkMs ?? INGEST_CHUNK_MS))
  await runIngest(storage, group, to, opts, recent, out)
  return to >= head.cutMs
}

/** Jobs read together: same mode, same starting point, same cut and widening. */
function groupJobs(jobs: readonly Job[]): Job[][] {
  const groups = new Map<string, Job[]>()
  for (const j of jobs) {
    const key = `${j.mode}|${j.mode === 'ingest' ? j.ingestFromMs : j.fromSeconds}|${j.cutMs}|${j.widenSeconds}`
    groups.set(key, [...(groups.get(key) ?? []), j])
  }
  return [...groups.values()]
}

/** Moves the counts outside the lateness bound from `counts` into `out` (per SLO). */
function takeOutsideBound(counts: Map<number, MinuteCounts> | undefined, id: string, out: Outcome): void {
  const outside = counts?.get(OUTSIDE_BOUND_MINUTE)
  if (!outside) return
  counts!.delete(OUTSIDE_BOUND_MINUTE)
  addTo(out.outsideBound, id, outside.total)
}

/**
 * Rolls a group of range jobs that start at the same minute up to `toSeconds`,
 * a chunk of raw data at a time; returns the jobs that did not fail and the
 * running sums each reached. For span and log SLIs the chunk that reaches
 * `nowSeconds` has no end: it counts every event stored before the cut (in
 * the lateness bound), and the rows reach the minute after the newest.
 */
async function runRange(storage: Storage, group: Job[], toSeconds: number, opts: UpdateOptions, recent: RecentSums, out: Outcome): Promise<{ live: Job[]; last: Map<string, Cumulative> }> {
  let live = group
  const head = group[0]!
  const ingest = head.cutMs > 0
  const builders = new Map(group.map((j) => [j.slo.id, new CumulativeBuilder(j.slo.id, j.slo.budgeting, j.hash, j.base, j.slo.window)]))
  const last = new Map<string, Cumulative>()
  const chunk = opts.chunkSeconds ?? DAY
  // At least one chunk: a span or log rollup that reached now still reads what is stored beyond it.
  for (let start = head.fromSeconds; start < toSeconds || (ingest && start === head.fromSeconds); start += chunk) {
    const end = Math.min(toSeconds, start + chunk)
    const open = ingest && end >= opts.nowSeconds
    const selection: RawSelection = {
      event: { fromSeconds: start, toSeconds: open ? OPEN_END_SECONDS : end },
      stored: ingest ? { fromMs: 0, toMs: head.cutMs } : undefined,
      startFromSeconds: start - head.widenSeconds,
      bound: { seconds: head.latenessSeconds, nowSeconds: opts.nowSeconds, pastUnbounded: true },
    }
    const counted = await countRangeConfined(storage, live, selection)
    if (counted.failed.size > 0) {
      for (const [id, error] of counted.failed) out.failed.set(id, error)
      live = live.filter((j) => !counted.failed.has(j.slo.id))
    }
    for (const [id, n] of counted.unbounded) addTo(out.unbounded, id, n)
    const rows: RollupRow[] = []
    const built = new Map<Job, RollupRow[]>()
    const computedAt = Date.now()
    for (const j of live) {
      const counts = counted.counts.get(j.slo.id)
      takeOutsideBound(counts, j.slo.id, out)
      const rowsEnd = open ? Math.max(end, ...[...(counts?.keys() ?? [])].map((m) => m + 60)) : end
      const jobRows = builders.get(j.slo.id)!.rows(start, rowsEnd, counts, computedAt, ingest ? head.cutMs : 0)
      built.set(j, jobRows)
      // Minutes whose sums did not change since the last tick are already stored as they are.
      rows.push(...jobRows.filter((r) => j.backfill || !unchanged(recent, j, r)))
      const lastRow = jobRows.at(-1)
      if (lastRow) last.set(j.slo.id, { good: lastRow.cum_good, total: lastRow.cum_total, slices: lastRow.cum_slices, slicesGood: lastRow.cum_slices_good })
      j.reached = { computedToSeconds: rowsEnd, ingestedToMs: ingest ? head.cutMs : 0, complete: open }
    }
    await insertRollups(storage, rows)
    for (const [j, jobRows] of built) remember(recent, j.slo.id, j.hash, jobRows, keepFrom(j, opts))
  }
  return { live, last }
}

/**
 * Counts the rows stored in [ingestFromMs, toMs) for a group of ingest jobs
 * and rewrites each SLO's minutes they changed, then moves the jobs' watermark to `toMs`.
 */
async function runIngest(storage: Storage, group: Job[], toMs: number, opts: UpdateOptions, recent: RecentSums, out: Outcome): Promise<void> {
  const head = group[0]!
  const selection: RawSelection = {
    event: { fromSeconds: 0, toSeconds: OPEN_END_SECONDS },
    stored: { fromMs: head.ingestFromMs, toMs },
    startFromSeconds: 0,
    bound: { seconds: head.latenessSeconds, nowSeconds: opts.nowSeconds },
  }
  const counted = await countRangeConfined(storage, group, selection)
  for (const [id, error] of counted.failed) out.failed.set(id, error)
  const rows: RollupRow[] = []
  const built = new Map<Job, RollupRow[]>()
  const computedAtMs = Date.now()
  for (const j of group) {
    if (out.failed.has(j.slo.id)) continue
    try {
      const applied = applyIngest({ ...j, computedToSeconds: j.fromSeconds }, recent, counted.counts.get(j.slo.id), { nowSeconds: opts.nowSeconds, cutMs: toMs, computedAtMs })
      addTo(out.outsideBound, j.slo.id, applied.outsideBound)
      built.set(j, applied.rows)
      rows.push(...applied.rows.filter((r) => !unchanged(recent, j, r)))
      j.reached = { computedToSeconds: applied.computedToSeconds, ingestedToMs: toMs, complete: true }
    } catch (err) {
      out.failed.set(j.slo.id, err)
    }
  }
  await insertRollups(storage, rows)
  // Memory follows the table only once the rows are written: a failed write leaves both as they were.
  for (const [j, jobRows] of built) {
    remember(recent, j.slo.id, j.hash, jobRows, keepFrom({ ...j, cutMs: toMs }, opts))
    Object.assign(j, { fromSeconds: j.reached!.computedToSeconds, ingestFromMs: toMs })
  }
}

/** The first minute (less one) the next tick may rewrite: what to keep in memory. */
function keepFrom(j: Job, opts: UpdateOptions): number {
  if (j.cutMs > 0) return ingestKeepFrom(j.slo, j.epochSeconds, j.cutMs, opts.nowSeconds, j.latenessSeconds)
  return opts.nowSeconds - opts.lookbackSeconds - sliceSecondsOf(j.slo.budgeting) - 60
}

/**
 * Records how far each job's rollups reach. The state is written when an
 * SLO's definition, epoch or kind of watermark changes, after every backfill
 * slice (`always`), and otherwise every few minutes: a computed_to that lags
 * after a restart only makes the first tick read a little more (and the
 * watermark is then taken from the newest rollup row, ingest.ts).
 */
async function saveStates(storage: Storage, jobs: readonly Job[], states: Map<string, RollupState>, always = false): Promise<void> {
  const changed: string[] = []
  for (const j of jobs) {
    if (!j.reached) continue
    const { computedToSeconds, ingestedToMs, complete } = j.reached
    const before = states.get(j.slo.id)
    const persistedTo = before?.persistedToSeconds ?? before?.computedToSeconds ?? 0
    const persist =
      always || !before || before.sliHash !== j.hash || before.epochSeconds !== j.epochSeconds || before.ingestComplete !== complete || (before.ingestedToMs === 0) !== (ingestedToMs === 0) || computedToSeconds - persistedTo >= STATE_REFRESH_SECONDS
    if (persist) changed.push(j.slo.id)
    states.set(j.slo.id, { sliHash: j.hash, epochSeconds: j.epochSeconds, computedToSeconds, persistedToSeconds: persist ? computedToSeconds : persistedTo, ingestedToMs, ingestComplete: complete })
  }
  if (changed.length > 0) await saveRollupState(storage, states, changed)
}

/** countRange over a group, bisected on failure so an SLO whose query fails only fails itself. */
async function countRangeConfined(storage: Storage, group: Job[], selection: RawSelection) {
  const out = await confine(group, (part) => countRange(storage, part.map((j) => j.slo), selection))
  const counts = new Map(out.done.flatMap((d) => [...d.result.counts]))
  const unbounded = new Map(out.done.flatMap((d) => [...d.result.unbounded]))
  return { counts, unbounded, failed: new Map(out.failed.map((f) => [f.item.slo.id, f.error])) }
}

function plan(slo: Slo, state: RollupState | undefined, opts: UpdateOptions, cutMs: number, latenessSeconds: number): Job {
  const now = opts.nowSeconds
  const sliceStart = sliceAligner(slo.budgeting, slo.window)
  const hash = sliHash(slo)
  const ingest = isIngestSli(slo)
  const needed = sliceStart(now - horizonSeconds(slo, now, opts.extraWindowsSeconds(slo)))
  const job: Job = { slo, hash, epochSeconds: needed, mode: 'range', fromSeconds: needed, backfill: true, base: ZERO, cutMs: ingest ? cutMs : 0, ingestFromMs: 0, widenSeconds: ingest ? latenessSeconds : 0, latenessSeconds }
  if (!state || state.sliHash !== hash || state.epochSeconds > needed || state.computedToSeconds < needed) return job
  const epoch = state.epochSeconds
  const from = (seconds: number) => Math.max(epoch, sliceStart(seconds))
  if (!ingest) return { ...job, epochSeconds: epoch, backfill: false, fromSeconds: from(Math.min(now - opts.lookbackSeconds, state.computedToSeconds)) }
  if (state.ingestComplete && state.ingestedToMs > 0) return { ...job, epochSeconds: epoch, backfill: false, mode: 'ingest', fromSeconds: state.computedToSeconds, ingestFromMs: state.ingestedToMs }
  // A backfill under way resumes with its own cut (the rows it counted so far are those stored before it).
  if (state.ingestedToMs > 0) return { ...job, epochSeconds: epoch, backfill: false, fromSeconds: from(state.computedToSeconds), cutMs: state.ingestedToMs }
  // Rollups from before the watermark counted spans at their start: recounted from the lateness bound
  // on, by end, only the spans that started there (those before are in the older minutes already).
  return { ...job, epochSeconds: epoch, backfill: false, fromSeconds: from(Math.min(now - latenessSeconds, state.computedToSeconds)), widenSeconds: 0 }
}

/** The warning that system.processes is unreadable is given once per process, not every tick. */
let processesWarned = false

/** This tick's ingest cut; a long-running INSERT holds it back (its rows are not visible yet), which is logged. */
async function ingestCut(storage: Storage, logger: Logger, marginMs: number): Promise<number> {
  const { cutMs, runningInsertMs, processesUnreadable } = await readIngestCut(storage, marginMs)
  if (runningInsertMs > SLOW_INSERT_WARN_MS) logger.warn({ runningInsertMs }, 'a long-running INSERT holds back the ingest cut: span and log SLOs count only the rows stored before it started until it ends')
  if (processesUnreadable && !processesWarned) {
    processesWarned = true
    logger.warn({ err: processesUnreadable, marginMs }, 'system.processes cannot be read: the ingest cut cannot wait for running INSERTs; set CAIRN_EVAL_INGEST_MARGIN above the longest INSERT, or grant SHOW PROCESSLIST')
  }
  return cutMs
}

/**
 * The ingest SLOs whose minutes are not in memory (the first tick after a
 * start, a tick evaluating an earlier minute) get them from the table, with
 * their true watermark; one whose rows have a gap is rebuilt (its state is dropped).
 */
async function resumeIngest(storage: Storage, logger: Logger, slos: readonly Slo[], states: Map<string, RollupState>, recent: RecentSums, now: number, lateness: number): Promise<void> {
  const hashes = new Map<string, string>()
  const missing = slos.filter((slo) => {
    const state = states.get(slo.id)
    if (!isIngestSli(slo) || !state?.ingestComplete || state.ingestedToMs === 0 || state.sliHash !== sliHash(slo)) return false
    hashes.set(slo.id, state.sliHash)
    const entry = recent.get(slo.id)
    return !entry || entry.hash !== state.sliHash || entry.from > ingestKeepFrom(slo, state.epochSeconds, state.ingestedToMs, now, lateness)
  })
  if (missing.length === 0) return
  for (const id of await resumeFromRows(storage, missing, states, hashes, recent, now, lateness)) {
    logger.warn({ slo: id }, 'SLO rollup rows missing: rebuilding them from the raw data')
    states.delete(id)
  }
}

function unchanged(recent: RecentSums, job: Job, row: RollupRow): boolean {
  const known = recalled(recent, job.slo.id, job.hash, row.minute)
  return !!known && known.good === row.good && known.total === row.total && known.cum_good === row.cum_good && known.cum_total === row.cum_total && known.cum_slices === row.cum_slices && known.cum_slices_good === row.cum_slices_good
}

/** The running sums just before each range job's first minute: from memory when the last tick left them, else from the table. */
async function readBases(storage: Storage, jobs: Job[], recent: RecentSums): Promise<Map<string, Cumulative>> {
  const bases = new Map<string, Cumulative>()
  const missing: Job[] = []
  for (const j of jobs) {
    if (j.mode === 'ingest' || j.backfill || j.fromSeconds <= j.epochSeconds) continue
    const known = recalled(recent, j.slo.id, j.hash, j.fromSeconds - 60)
    if (known) bases.set(pointKey(j.slo.id, j.fromSeconds - 60), { good: known.cum_good, total: known.cum_total, slices: known.cum_slices, slicesGood: known.cum_slices_good })
    else missing.push(j)
  }
  const minutes = [...new Set(missing.map((j) => j.fromSeconds - 60))]
  const read = await readCumulative(storage, new Map(missing.map((j) => [j.slo.id, j.hash])), minutes)
  for (const [k, v] of read) bases.set(k, v)
  return bases
}
