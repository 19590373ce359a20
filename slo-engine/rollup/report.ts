import { Counter } from 'prom-client'
import type { EngineConfig } from '../../config/index.ts'
import type { Logger, Registry } from '../../instrumentation/index.ts'
import { parseDuration } from '../duration.ts'

/**
 * The lateness settings of the rollups, and what reports the span and log
 * events left out for arriving outside the bound: a counter per SLO, and a
 * warning per SLO and tick that left any out (never silently lost).
 */
export function outsideBoundReporter(registry: Registry, logger: Logger, config: Pick<EngineConfig, 'lateness' | 'ingestMargin'>) {
  const counter = new Counter({
    name: 'cairn_slo_events_outside_lateness_total',
    help: 'Span and log events not counted because they were stored later than the lateness bound after their time (or as far before it)',
    labelNames: ['slo'],
    registers: [registry],
  })
  const latenessSeconds = parseDuration(config.lateness ?? '1h') ?? 3600
  const ingestMarginMs = (parseDuration(config.ingestMargin ?? '0s') ?? 0) * 1000
  const report = (outside: ReadonlyMap<string, number>) => {
    for (const [slo, events] of outside) {
      counter.inc({ slo }, events)
      logger.warn({ slo, events, latenessSeconds }, 'SLO events stored outside the lateness bound were not counted')
    }
  }
  return Object.assign(report, { options: { latenessSeconds, ingestMarginMs } })
}
