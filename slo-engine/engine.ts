import { schedule, type ScheduledTask } from 'node-cron'
import { Counter } from 'prom-client'
import type { EngineConfig } from '../config/index.ts'
import type { Storage } from '../storage/index.ts'
import type { Logger, Registry } from '../instrumentation/index.ts'
import { createSloCatalog, type SloCatalog } from './catalog.ts'
import { formatSpecError } from './spec/index.ts'
import type { Slo, SloEvaluation } from './model.ts'

export interface EngineDeps {
  config: EngineConfig
  storage: Storage
  logger: Logger
  registry: Registry
  /** The SLO catalog; by default one over `config.sloDir`. */
  catalog?: SloCatalog
  /** Called after each evaluation of an SLO (alerting pages from it); awaited, and quick: delivery is queued. */
  onEvaluated?: (slo: Slo, evaluation: SloEvaluation) => Promise<void>
  /** Burn-rate windows (seconds, whole minutes) an SLO's alert policy needs beyond BURN_RATE_WINDOWS. */
  extraWindowsSeconds?: (slo: Slo) => number[]
}

export interface Engine {
  start(): Promise<void>
  /** Stops the schedule and waits for a running evaluation to finish. */
  stop(): Promise<void>
  /** Runs one evaluation now (also what the schedule calls). */
  tick(now?: Date): Promise<void>
}

/** Evaluates every SLO on the configured schedule. */
export function createEngine(deps: EngineDeps): Engine {
  const { logger } = deps
  const ticks = new Counter({ name: 'cairn_engine_ticks_total', help: 'SLO evaluation ticks run', registers: [deps.registry] })
  const catalog = deps.catalog ?? createSloCatalog({ storage: deps.storage, sloDir: deps.config.sloDir, logger })
  let task: ScheduledTask | undefined
  let running: Promise<void> | undefined
  let lastSpecErrors = ''

  async function syncSpecs(): Promise<void> {
    const { errors } = await catalog.syncFiles()
    // Spec errors are logged when they change, not every minute.
    const text = errors.map(formatSpecError).join('\n')
    if (text !== lastSpecErrors && errors.length > 0) logger.error({ errors: errors.map(formatSpecError) }, 'SLO spec errors: the SLOs of these files keep their last valid definition')
    lastSpecErrors = text
  }

  const tick = async () => {
    ticks.inc()
    try {
      await syncSpecs()
    } catch (err) {
      logger.error({ err }, 'SLO evaluation tick failed')
    }
  }
  return {
    async start() {
      const run = () => {
        if (running) return // a slow tick is never overlapped by the next one
        running = tick().finally(() => (running = undefined))
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
