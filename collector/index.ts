export { createCollector, type Collector, type CollectorDeps } from './collector.ts'
export type { Authorize } from './auth.ts'
export { collectorMigrations, INGEST_TABLES } from './tables.ts'
