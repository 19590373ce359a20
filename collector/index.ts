export { createCollector, type Collector, type CollectorDeps } from './collector.ts'
import { OTLP_TASK_MODULE } from './otlp/offload.ts'
import { REMOTE_WRITE_TASK_MODULE } from './remote-write/decode-task.ts'
/** Modules the parse workers load for the collector (warmed at start). */
export const COLLECTOR_TASK_MODULES = [OTLP_TASK_MODULE, REMOTE_WRITE_TASK_MODULE] as const
export type { Authorize } from './auth.ts'
export { collectorMigrations, INGEST_TABLES } from './tables.ts'
