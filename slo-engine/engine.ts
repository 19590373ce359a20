import { schedule, type ScheduledTask } from 'node-cron'
import { Counter, Histogram } from 'prom-client'
import type { EngineConfig } from '../config/index.ts'
import type { Storage } from '../storage/index.ts'
import type { Logger, Registry } from '../instrumentation/index.ts'
import { createSloCatalog, type SloCatalog } from './catalog.ts'
import { isComputedSli, type Slo, type SloEvaluation } from './model.ts'
import { formatSpecError } from './spec/index.ts'
import { parseDuration } from './duration.ts'
import { createSloGauges } from './metrics.ts'
import { loadRollupState, pointKey, readCumulative, type RollupState } from './rollup/store.ts'
import { updateRollups, type RecentSums } from './rollup/update.ts'
import { ZERO } from './rollup/cumulative.ts'
import { pruneRollups } from './rollup/prune.ts'
import { evaluate } from './evaluate/evaluate.ts'
import { evaluationWindows } from './evaluate/windows.ts'
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
  /** How long a tick waits for an onEvaluated or onTickDone hook (default 10 s). */
  hookTimeoutMs?: number
}

export interface Engine {
  start(): Promise<void>
  /** Stops the schedule and waits for a running evaluation to finish. */
  stop(): Promise<void>
  /** Runs one evaluation now (also what the schedule calls); `now` is floored to the minute. */
  tick(now?: Date): Promise<void>
}

const DEFAULT_LOOKBACK_SECONDS = 600

/** Evaluates every SLO on the configured schedule: catalog sync, rollups, evaluations, gauges, hooks. */
export function createEngine(deps: EngineDeps): Engine {
  const { logger, storage } = deps
  const ticks = new Counter({ name: 'cairn_engine_ticks_total', help: 'SLO evaluation ticks run', registers: [deps.registry] })
  const failures = new Counter({ name: 'cairn_engine_tick_failures_total', help: 'SLO evaluation ticks that failed', registers: [deps.registry] })
  const duration = new Histogram({ name: 'cairn_engine_tick_duration_seconds', help: 'Time one SLO evaluation tick takes', buckets: [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60], registers: [deps.registry] })
  const gauges = createSloGauges(deps.registry)
  const catalog = deps.catalog ?? createSloCatalog({ storage, sloDir: deps.config.sloDir, logger })
  const lookbackSeconds = parseDuration(deps.config.lookback) ?? DEFAULT_LOOKBACK_SECONDS
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

  async function evaluateAll(slos: Slo[], nowSeconds: number): Promise<{ slo: Slo; evaluation: SloEvaluation }[]> {
    const windows = new Map(slos.map((s) => [s.id, evaluationWindows(s, nowSeconds, extraWindows(s))]))
    const minutes = new Set<number>([nowSeconds - 60])
    for (const ws of windows.values()) for (const w of ws) minutes.add(nowSeconds - w.seconds - 60)
    const hashes = new Map(slos.map((s) => [s.id, states!.get(s.id)!.sliHash]))
    const sums = await readCumulative(storage, hashes, [...minutes])
    return slos.map((slo) => {
      const epoch = states!.get(slo.id)!.epochSeconds
      let missing = 0
      const at = (minute: number) => {
        if (minute < epoch) return ZERO
        const found = sums.get(pointKey(slo.id, minute))
        if (!found) missing++
        return found ?? ZERO
      }
      const evaluation = evaluate(slo, nowSeconds, windows.get(slo.id)!, at)
      if (missing > 0) {
        // Rows the state says exist are gone (deleted by hand, a partition dropped): rebuild them next tick.
        logger.warn({ slo: slo.id, missing }, 'SLO rollup rows missing: rebuilding them from the raw data at the next tick')
        states!.delete(slo.id)
      }
      return { slo, evaluation }
    })
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

  async function callHooks(evaluated: { slo: Slo; evaluation: SloEvaluation }[], nowSeconds: number): Promise<void> {
    const { onEvaluated, onTickDone } = deps
    if (onEvaluated) await Promise.all(evaluated.map(({ slo, evaluation }) => guarded('onEvaluated', { slo: slo.id }, () => onEvaluated(slo, evaluation))))
    if (onTickDone) {
      const ids: ReadonlySet<string> = new Set(evaluated.map((e) => e.slo.id))
      await guarded('onTickDone', {}, () => onTickDone(ids, nowSeconds * 1000))
    }
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
      const update = await updateRollups(storage, logger, slos, states, { nowSeconds, lookbackSeconds, extraWindowsSeconds: extraWindows, recent })
      for (const [id, n] of update.unbounded) logger.warn({ slo: id, points: n }, 'histogram points without the SLO threshold as a bucket bound were left out')
      phase('rollupMs')
      const evaluated = await evaluateAll(slos, nowSeconds)
      phase('evaluateMs')
      await writeEvaluations(storage, evaluated.map((e) => e.evaluation))
      gauges.update(evaluated)
      phase('writeMs')
      await callHooks(evaluated, nowSeconds)
      phase('hooksMs')
      await prune()
      logger.debug({ slos: slos.length, ...phases }, 'SLO evaluation tick done')
    } catch (err) {
      failures.inc()
      logger.error({ err }, 'SLO evaluation tick failed')
    } finally {
      stopTimer()
    }
  }

  return {
    async start() {
      // A scheduled tick evaluates the minutes that have settled: the last one ended at least `settle` ago.
      const settleMs = (parseDuration(deps.config.settle ?? '0s') ?? 0) * 1000
      const run = () => {
        if (running) return // a slow tick is never overlapped by the next one
        running = tick(new Date(Date.now() - settleMs)).finally(() => (running = undefined))
      }
      task = schedule(deps.config.schedule, run, { noOverlap: true })
      run() // the catalog and status are current from the start, not a minute later
    },
    async stop() {
      await task?.stop()
      await running
    },
    tick,
  }
}
