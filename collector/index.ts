export { createCollector, type Collector, type CollectorDeps } from './collector.ts'
export type { Authorize } from './auth.ts'
