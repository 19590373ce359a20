import { Registry, collectDefaultMetrics } from 'prom-client'

export type { Registry }

/**
 * One registry per process, passed to every component, so `/metrics` shows
 * process metrics and each component's own without a global default registry
 * (tests start several services in one process).
 */
export function createMetricsRegistry(): Registry {
  const registry = new Registry()
  collectDefaultMetrics({ register: registry, prefix: 'cairn_' })
  return registry
}
