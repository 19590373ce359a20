import { schedule, type ScheduledTask } from 'node-cron'
import { Counter, Gauge, Histogram } from 'prom-client'
import type { EngineConfig } from '../config/index.ts'
import type { Storage } from '../storage/index.ts'
import type { Logger, Registry } from '../instrumentation/index.ts'
import { createSloCatalog, type SloCatalog } from './catalog.ts'
import { isComputedSli, type Slo, type SloEvaluation } from './model.ts'
import { formatSpecError } from './spec/index.ts'
import { parseDuration } from './duration.ts'
import { confine, failureReason } from './confine.ts'
import { storageRegexChecker, type RegexChecker } from './regex-check.ts'
import { errorEvaluation, staticFailures, type Failures } from './failures.ts'
import { createSloGauges } from './metrics.ts'
import { loadRollupState, pointKey, readCumulative, type RollupState } from './rollup/store.ts'
import { advancePending, updateRollups, type PendingJob, type RecentSums } from './rollup/update.ts'
import { outsideBoundReporter } from './rollup/report.ts'
import { ZERO } from './rollup/cumulative.ts'
import { pruneRollups } from './rollup/prune.ts'
import { evaluate } from './evaluate/evaluate.ts'
import { evaluationWindows, type EvaluationWindow } from './evaluate/windows.ts'
import { writeEvaluations } from './evaluate/store.ts'

export interface EngineDeps {
  config: EngineConfig
  storage: Storage
  logger: Logger
  registry: Registry
  /** The SLO catalog; by default one over `config.sloDir`. */
  catalog?: SloCatalog
  /**
   * Called after each SLO's evaluation is written. A hook that throws or is
   * slow never holds up or fails the other SLOs: failures are logged, and the
   * tick stops waiting for a hook after `hookTimeoutMs`.
   */
  onEvaluated?: (slo: Slo, evaluation: SloEvaluation) => Promise<void>
  /**
   * Called once per tick after the onEvaluated hooks (also when no SLO was
   * evaluated), with the ids of every SLO this tick evaluated: an id missing
   * from the set is gone (removed, or its SLI no longer computed by cairn).
   * Not called when the tick fails, so an outage never looks like removals.
   * Guarded like onEvaluated.
   */
  onTickDone?: (evaluatedIds: ReadonlySet<string>, atMs: number) => Promise<void>
  /** Burn-rate windows (seconds, whole minutes) an alert policy needs beyond BURN_RATE_WINDOWS. */
  extraWindowsSeconds?: (slo: Slo) => number[]
  /** How regexes are checked before the rollup queries run; by default ClickHouse's RE2 through `storage`. */
  regexChecker?: RegexChecker
  /**
   * Time a tick may spend on backfills and catch-ups after its evaluations
   * (default 20 s; at least one slice per tick whatever the budget).
   */
  catchUpBudgetMs?: number
  /** Drop rollup months no SLO of this engine reaches (default true; false when engines share the rollup table, as in the benchmark). */
  pruneRollups?: boolean
  /** How long a tick waits for an onEvaluated or onTickDone hook (default 10 s). */
  hookTimeoutMs?: number
}

export interface Engine {
  /**
   * Starts the schedule and runs a tick at once. Called again after stop()
   * when this replica takes the engine lease over: what it kept from storage
   * between ticks is dropped and read again.
   */
  start(): Promise<void>
  /** Stops the schedule, waits for a running evaluation to finish, and clears the SLO gauges. */
  stop(): Promise<void>
  /** Runs one evaluation now (also what the schedule calls); `now` is floored to the minute. */
  tick(now?: Date): Promise<void>
  /** Backfills and catch-ups still to do, as of the last tick (for /readyz). */
  progress(): EngineProgress
}

export interface EngineProgress {
  /** SLOs waiting for a backfill or catch-up before they are evaluated. */
  pendingSlos: number
  /** The most raw-data time (seconds) any of them has left to roll up. */
  remainingSeconds: number
}

const DEFAULT_LOOKBACK_SECONDS = 600
const DEFAULT_CATCH_UP_BUDGET_MS = 20_000
/** Evaluates every SLO on the configured schedule: catalog sync, rollups, evaluations, gauges, hooks. */
export function createEngine(deps: EngineDeps): Engine {
  const { logger, storage } = deps
  const ticks = new Counter({ name: 'cairn_engine_ticks_total', help: 'SLO evaluation ticks run', registers: [deps.registry] })
  const failures = new Counter({ name: 'cairn_engine_tick_failures_total', help: 'SLO evaluation ticks that failed', registers: [deps.registry] })
  const duration = new Histogram({ name: 'cairn_engine_tick_duration_seconds', help: 'Time one SLO evaluation tick takes', buckets: [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60], registers: [deps.registry] })
  const gauges = createSloGauges(deps.registry)
  const pendingGauge = new Gauge({ name: 'cairn_engine_backfill_pending_slos', help: 'SLOs waiting for a backfill or catch-up of their rollups before they are evaluated', registers: [deps.registry] })
  const remainingGauge = new Gauge({ name: 'cairn_engine_backfill_remaining_seconds', help: 'The most raw-data time any pending SLO has left to roll up', registers: [deps.registry] })
  const backfillSlices = new Counter({ name: 'cairn_engine_backfill_slices_total', help: 'Backfill and catch-up slices rolled up (a chunk of raw data for a group of SLOs)', registers: [deps.registry] })
  let progress: EngineProgress = { pendingSlos: 0, remainingSeconds: 0 }
  const evaluationErrors = new Counter({ name: 'cairn_slo_evaluation_errors_total', help: 'Ticks in which the SLO could not be evaluated (its status is error)', labelNames: ['slo'], registers: [deps.registry] })
  const catalog = deps.catalog ?? createSloCatalog({ storage, sloDir: deps.config.sloDir, logger })
  const lookbackSeconds = parseDuration(deps.config.lookback) ?? DEFAULT_LOOKBACK_SECONDS
  const reportOutsideBound = outsideBoundReporter(deps.registry, logger, deps.config)
  const extraWindows = (slo: Slo) => {
    try {
      return (deps.extraWindowsSeconds?.(slo) ?? []).filter((s) => Number.isInteger(s) && s > 0 && s % 60 === 0)
    } catch (err) {
      logger.error({ err, slo: slo.id }, 'extraWindowsSeconds failed: using the standard windows')
      return []
    }
  }
  let task: ScheduledTask | undefined
  let running: Promise<void> | undefined
  let lastSpecErrors = ''
  let states: Map<string, RollupState> | undefined
  let lastPruneMs = 0
  const recent: RecentSums = new Map()
  const regexChecker = deps.regexChecker ?? storageRegexChecker(storage)
  let lastFailures: Failures = new Map()

  /** Hourly: drop rollup months no SLO's window reaches. */
  async function prune(): Promise<void> {
    if (Date.now() - lastPruneMs < 3600_000 || !states || states.size === 0) return
    lastPruneMs = Date.now()
    const dropped = await pruneRollups(storage, Math.min(...[...states.values()].map((s) => s.epochSeconds)))
    if (dropped.length > 0) logger.info({ partitions: dropped }, 'dropped rollup months no SLO window reaches')
  }

  async function syncSpecs(): Promise<void> {
    const { errors } = await catalog.syncFiles()
    // Spec errors are logged when they change, not every minute.
    const text = errors.map(formatSpecError).join('\n')
    if (text !== lastSpecErrors && errors.length > 0) logger.error({ errors: errors.map(formatSpecError) }, 'SLO spec errors: the SLOs of these files keep their last valid definition')
    lastSpecErrors = text
  }

  /** The running sums at the window edges of these SLOs; one query, bisected if it fails. */
  async function readEdges(slos: Slo[], windows: Map<string, EvaluationWindow[]>, nowSeconds: number, failures: Failures) {
    const read = (part: Slo[]) => {
      const minutes = new Set<number>([nowSeconds - 60])
      for (const s of part) for (const w of windows.get(s.id)!) minutes.add(nowSeconds - w.seconds - 60)
      return readCumulative(storage, new Map(part.map((s) => [s.id, states!.get(s.id)!.sliHash])), [...minutes])
    }
    const out = await confine(slos, read)
    for (const f of out.failed) failures.set(f.item.id, `reading its rollups failed: ${failureReason(f.error)}`)
    return { sums: new Map(out.done.flatMap((d) => [...d.result])), ok: out.done.flatMap((d) => d.items) }
  }

  async function evaluateAll(all: Slo[], nowSeconds: number, failures: Failures): Promise<{ slo: Slo; evaluation: SloEvaluation }[]> {
    const windows = new Map(all.map((s) => [s.id, evaluationWindows(s, nowSeconds, extraWindows(s))]))
    const { sums, ok: slos } = await readEdges(all, windows, nowSeconds, failures)
    return slos.flatMap((slo) => {
      const epoch = states!.get(slo.id)!.epochSeconds
      let missing = 0
      const at = (minute: number) => {
        if (minute < epoch) return ZERO
        const found = sums.get(pointKey(slo.id, minute))
        if (!found) missing++
        return found ?? ZERO
      }
      let evaluation: SloEvaluation
      try {
        evaluation = evaluate(slo, nowSeconds, windows.get(slo.id)!, at)
      } catch (err) {
        failures.set(slo.id, `evaluation failed: ${failureReason(err)}`)
        return []
      }
      if (missing > 0) {
        // Rows the state says exist are gone (deleted by hand, a partition dropped): rebuild them next tick.
        logger.warn({ slo: slo.id, missing }, 'SLO rollup rows missing: rebuilding them from the raw data at the next tick')
        states!.delete(slo.id)
      }
      return [{ slo, evaluation }]
    })
  }

  /** Error evaluations for the failed SLOs; failures are logged when an SLO's reason changes, not every tick. */
  function failedEvaluations(slos: Slo[], failures: Failures, nowSeconds: number): { slo: Slo; evaluation: SloEvaluation }[] {
    const out = slos.flatMap((slo) => {
      const reason = failures.get(slo.id)
      if (reason === undefined) return []
      evaluationErrors.inc({ slo: slo.id })
      if (lastFailures.get(slo.id) !== reason) logger.error({ slo: slo.id, file: `${slo.source.file}:${slo.source.line}:${slo.source.column}`, reason }, 'SLO cannot be evaluated: its status is error; other SLOs are not affected')
      return [{ slo, evaluation: errorEvaluation(slo, nowSeconds, reason) }]
    })
    for (const [id, reason] of failures) lastFailures.set(id, reason)
    return out
  }

  /**
   * After the tick's evaluations: backfills and catch-ups, a slice at a time
   * within catchUpBudgetMs. An SLO whose backfill query fails gets an error
   * evaluation at once (it has no other).
   */
  async function catchUp(jobs: PendingJob[], nowSeconds: number): Promise<{ completed: Slo[]; failures: Failures; pending: Slo[] }> {
    if (jobs.length === 0) {
      setProgress({ pendingSlos: 0, remainingSeconds: 0 })
      return { completed: [], failures: new Map(), pending: [] }
    }
    const done = await advancePending(storage, logger, jobs, states!, { nowSeconds, lookbackSeconds, extraWindowsSeconds: extraWindows, recent, budgetMs: deps.catchUpBudgetMs ?? DEFAULT_CATCH_UP_BUDGET_MS })
    backfillSlices.inc(done.slices)
    reportOutsideBound(done.outsideBound)
    setProgress({ pendingSlos: done.remainingSlos, remainingSeconds: done.remainingSeconds })
    const finished = new Set([...done.completed.map((s) => s.id), ...done.failed.keys()])
    return {
      completed: done.completed,
      failures: new Map([...done.failed].map(([id, err]) => [id, `backfill query failed: ${failureReason(err)}`])),
      pending: jobs.map((j) => j.slo).filter((s) => !finished.has(s.id)),
    }
  }

  function setProgress(p: EngineProgress): void {
    progress = p
    pendingGauge.set(p.pendingSlos)
    remainingGauge.set(p.remainingSeconds)
  }

  /** Runs one hook without letting it fail or stall the tick: errors are logged, and it is waited for at most hookTimeoutMs. */
  async function guarded(name: string, context: Record<string, unknown>, run: () => Promise<void>): Promise<void> {
    const timeoutMs = deps.hookTimeoutMs ?? 10_000
    let timer: NodeJS.Timeout | undefined
    const timeout = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), timeoutMs)))
    try {
      const result = await Promise.race([Promise.resolve().then(run), timeout])
      if (result === 'timeout') logger.warn({ ...context, timeoutMs }, `${name} hook is slow: not waiting for it`)
    } catch (err) {
      logger.error({ err, ...context }, `${name} hook failed`)
    } finally {
      clearTimeout(timer)
    }
  }

  /** onEvaluated for each computed evaluation (an SLO in error is neither fired nor resolved: alerting keeps its state). */
  async function evaluatedHooks(evaluated: { slo: Slo; evaluation: SloEvaluation }[]): Promise<void> {
    const { onEvaluated } = deps
    if (!onEvaluated) return
    const computed = evaluated.filter((e) => e.evaluation.status !== 'error')
    await Promise.all(computed.map(({ slo, evaluation }) => guarded('onEvaluated', { slo: slo.id }, () => onEvaluated(slo, evaluation))))
  }

  /** onTickDone with every SLO that is not gone: evaluated, in error, or still catching up (their alerts keep their state). */
  async function tickDoneHook(ids: ReadonlySet<string>, nowSeconds: number): Promise<void> {
    const { onTickDone } = deps
    if (onTickDone) await guarded('onTickDone', {}, () => onTickDone(ids, nowSeconds * 1000))
  }

  /** Evaluates the SLOs whose rollups are current, writes the evaluations (and those of the failed SLOs), calls onEvaluated. */
  async function evaluateAndWrite(ready: Slo[], failed: Slo[], sloFailures: Failures, nowSeconds: number) {
    const evaluated = [...(await evaluateAll(ready, nowSeconds, sloFailures)), ...failedEvaluations(failed, sloFailures, nowSeconds)]
    for (const { slo, evaluation } of evaluated) {
      if (evaluation.status !== 'error' && lastFailures.delete(slo.id)) logger.info({ slo: slo.id }, 'SLO evaluates again')
    }
    await writeEvaluations(storage, evaluated.map((e) => e.evaluation))
    return evaluated
  }

  async function tick(now = new Date()): Promise<void> {
    const nowSeconds = Math.floor(now.getTime() / 60_000) * 60
    ticks.inc()
    const stopTimer = duration.startTimer()
    const phases: Record<string, number> = {}
    let mark = performance.now()
    const phase = (name: string) => {
      const t = performance.now()
      phases[name] = Math.round(t - mark)
      mark = t
    }
    try {
      await syncSpecs()
      phase('syncMs')
      states ??= await loadRollupState(storage)
      const slos = (await catalog.list()).filter((s) => isComputedSli(s.sli))
      phase('listMs')
      const live = new Set(slos.map((s) => s.id))
      for (const id of states.keys()) if (!live.has(id)) states.delete(id)
      for (const id of recent.keys()) if (!live.has(id)) recent.delete(id)
      for (const id of lastFailures.keys()) if (!live.has(id)) lastFailures.delete(id)
      const sloFailures: Failures = new Map()
      for (const [id, reason] of await staticFailures(slos, nowSeconds, regexChecker, extraWindows)) sloFailures.set(id, reason)
      const checked = slos.filter((s) => !sloFailures.has(s.id))
      const update = await updateRollups(storage, logger, checked, states, { nowSeconds, lookbackSeconds, ...reportOutsideBound.options, extraWindowsSeconds: extraWindows, recent })
      for (const [id, err] of update.failed) sloFailures.set(id, `rollup query failed: ${failureReason(err)}`)
      reportOutsideBound(update.outsideBound)
      for (const [id, n] of update.unbounded) logger.warn({ slo: id, points: n }, 'histogram points without the SLO threshold as a bucket bound were left out')
      phase('rollupMs')
      // Evaluation first: the SLOs whose rollups are current are evaluated, written and paged before any backfill runs.
      const evaluated = await evaluateAndWrite(update.ready, slos, sloFailures, nowSeconds)
      gauges.update(evaluated, update.pending.map((j) => j.slo))
      phase('evaluateMs')
      await evaluatedHooks(evaluated)
      phase('hooksMs')
      // Then backfills and catch-ups, in slices within a budget; SLOs they complete are evaluated in this tick too.
      const caughtUp = await catchUp(update.pending, nowSeconds)
      const finished = slos.filter((s) => caughtUp.failures.has(s.id))
      const late = caughtUp.completed.length + finished.length > 0 ? await evaluateAndWrite(caughtUp.completed, finished, caughtUp.failures, nowSeconds) : []
      evaluated.push(...late)
      if (late.length > 0) gauges.update(evaluated, caughtUp.pending)
      await evaluatedHooks(late)
      phase('catchUpMs')
      await tickDoneHook(new Set([...evaluated.map((e) => e.slo.id), ...caughtUp.pending.map((s) => s.id)]), nowSeconds)
      if (deps.pruneRollups !== false) await prune()
      logger.debug({ slos: slos.length, ...phases }, 'SLO evaluation tick done')
    } catch (err) {
      failures.inc()
      logger.error({ err }, 'SLO evaluation tick failed')
    } finally {
      stopTimer()
    }
  }

  const settleTimers = new Set<NodeJS.Timeout>()
  /** Bumped by start() and stop(): a start() that a stop() overtook schedules nothing. */
  let generation = 0
  const runAt = (evaluated: Date) => {
    if (running) return // a slow tick is never overlapped by the next one
    running = tick(evaluated).finally(() => (running = undefined))
  }

  return {
    async start() {
      // Also called when this replica takes the engine lease over (docs/replicas.md):
      // what earlier ticks kept from storage may be stale, another replica has ticked since.
      states = undefined
      recent.clear()
      const run = ++generation
      // The catalog matches the SLO files before start() returns, so that the API lists them from its first request.
      await syncSpecs().catch((err: unknown) => logger.warn({ err }, 'syncing the SLO catalog at start failed: the first tick tries again'))
      if (run !== generation) return // stopped meanwhile (a replica that lost the lease): no schedule
      // The schedule names the minutes to evaluate; each scheduled tick waits
      // `settle` after its time so that the minute that just ended has arrived
      // (a tick scheduled at 12:05:00 runs at 12:05:15 by default and
      // evaluates the minutes up to 12:04 included).
      const settleMs = (parseDuration(deps.config.settle ?? '0s') ?? 0) * 1000
      const scheduled = () => {
        const firedAt = new Date()
        const timer = setTimeout(() => {
          settleTimers.delete(timer)
          runAt(firedAt)
        }, settleMs)
        settleTimers.add(timer)
      }
      task = schedule(deps.config.schedule, scheduled, { noOverlap: true })
      // The catalog and status are current from the start, not a minute later: the minutes settled by now.
      runAt(new Date(Date.now() - settleMs))
    },
    async stop() {
      generation++
      await task?.stop()
      task = undefined
      for (const timer of settleTimers) clearTimeout(timer)
      settleTimers.clear()
      await running
      // Stopped or standing by: no figures of its own on /metrics (the leader's are the current ones).
      gauges.clear()
      setProgress({ pendingSlos: 0, remainingSeconds: 0 })
    },
    tick,
    progress: () => progress,
  }
}
