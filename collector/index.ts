export { createCollector, type Collector, type CollectorDeps } from './collector.ts'
