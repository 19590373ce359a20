export { ByteBudget, BudgetExhaustedError, Reservation } from './budget.ts'
export { WorkerPool, TaskError, WorkerCrashedError, ownArrayBuffer, type PoolOptions } from './pool.ts'
export { createIsolation, LIMIT_DEFAULTS, type Isolation } from './isolation.ts'
