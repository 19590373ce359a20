import { limitsSchema, type LimitsConfig } from '../config/index.ts'
import { ByteBudget } from './budget.ts'
import { WorkerPool } from './pool.ts'

/** What every request of the process shares: the body budget and the parse workers. */
export interface Isolation {
  budget: ByteBudget
  pool: WorkerPool
  /** Bodies (decompressed) of at least this many bytes are parsed in a worker, smaller ones inline. */
  offloadBytes: number
}

/** The defaults of config/schema.ts, for components built without a configuration (tests, benchmarks). */
export const LIMIT_DEFAULTS: LimitsConfig = limitsSchema.parse({})

export function createIsolation(limits: LimitsConfig = LIMIT_DEFAULTS): Isolation {
  return {
    budget: new ByteBudget(limits.inflightBodyBytes, limits.retryAfterSeconds),
    pool: new WorkerPool({ workers: limits.parseWorkers || undefined, maxHeapMb: limits.parseWorkerHeapMb }),
    offloadBytes: limits.offloadBytes,
  }
}
