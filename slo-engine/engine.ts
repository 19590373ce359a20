import { schedule, type ScheduledTask } from 'node-cron'
import { Counter } from 'prom-client'
import type { EngineConfig } from '../config/index.ts'
import type { Storage } from '../storage/index.ts'
import type { Logger, Registry } from '../instrumentation/index.ts'

export interface EngineDeps {
  config: EngineConfig
  storage: Storage
  logger: Logger
  registry: Registry
}

export interface Engine {
  start(): Promise<void>
  /** Stops the schedule and waits for a running evaluation to finish. */
  stop(): Promise<void>
  /** Runs one evaluation now (also what the schedule calls). */
  tick(now?: Date): Promise<void>
}

/** Evaluates every SLO on the configured schedule. The evaluation itself arrives with the SLO engine issue. */
export function createEngine(deps: EngineDeps): Engine {
  const ticks = new Counter({ name: 'cairn_engine_ticks_total', help: 'SLO evaluation ticks run', registers: [deps.registry] })
  let task: ScheduledTask | undefined
  let running: Promise<void> | undefined
  const tick = async () => {
    ticks.inc()
  }
  return {
    async start() {
      task = schedule(deps.config.schedule, () => {
        if (running) return // a slow tick is never overlapped by the next one
        running = tick().finally(() => (running = undefined))
      }, { noOverlap: true })
    },
    async stop() {
      await task?.stop()
      await running
    },
    tick,
  }
}
