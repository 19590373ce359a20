// One collector per test file over the embedded engine in a temp dir (chDB allows
// one data directory per process, and vitest gives each file its own process).
import { afterAll, beforeAll } from 'vitest'
import { configSchema, type CairnConfig } from '../../config/index.ts'
import { createLogger, createMetricsRegistry, type Registry } from '../../instrumentation/index.ts'
import { migrate, openStorage, otelTables, type Storage } from '../../storage/index.ts'
import { allMigrations } from '../../cli/index.ts'
import { createCollector, type Collector, type CollectorDeps } from '../../collector/index.ts'
import { tempDir } from '../support/temp.ts'

export interface Harness {
  storage: Storage
  config: CairnConfig
  /**
   * Starts a collector over `storage` (or a wrapper of it); the caller stops it.
   * Without `collector.queue.dir` it runs without the durable queue (each
   * request acknowledged once inserted: the batcher these files test);
   * queue*.test.ts give it a directory.
   */
  startCollector(overrides?: Partial<Omit<CollectorDeps, 'config'>> & { collector?: Record<string, unknown> }): Promise<RunningCollector>
  close(): Promise<void>
}

export interface RunningCollector {
  url: string
  registry: Registry
  collector: Collector
  stop(): Promise<void>
}

export async function openHarness(): Promise<Harness> {
  const dir = tempDir('cairn-collector-')
  // Keep everything: the OTLP examples carry 2018 timestamps, which a TTL would drop on insert.
  const config = configSchema.parse({ storage: { dataDir: dir.path, ttlDays: { traces: 0, logs: 0, metrics: 0 } } })
  const storage = await openStorage(config.storage)
  await migrate(storage, allMigrations(config), otelTables(config.storage.ttlDays))
  return {
    storage,
    config,
    async startCollector(overrides = {}) {
      const registry = createMetricsRegistry()
      const { collector: collectorKeys, ...deps } = overrides
      const collector = createCollector({
        config: configSchema.parse({ collector: { port: 0, flushIntervalMs: 20, ...collectorKeys } }).collector,
        host: '127.0.0.1',
        storage,
        logger: createLogger('silent'),
        registry,
        ...deps,
      })
      const port = await collector.start()
      return { url: `http://127.0.0.1:${port}`, registry, collector, stop: () => collector.stop() }
    },
    async close() {
      await storage.close()
      dir.remove()
    },
  }
}

/** A metric's value from a registry, summed over the series matching `labels`. */
export async function metricValue(registry: Registry, name: string, labels: Record<string, string> = {}): Promise<number> {
  const metric = await registry.getSingleMetric(name)?.get()
  const match = metric?.values.filter((v) => Object.entries(labels).every(([k, val]) => String(v.labels[k]) === val))
  return (match ?? []).reduce((sum, v) => sum + v.value, 0)
}

/**
 * One harness and one running collector shared by every test of a file:
 * opened before the first test, stopped after the last (chDB allows one data
 * directory per process, and each test file runs in its own).
 */
export function sharedCollector(): { h: Harness; c: RunningCollector } {
  const shared = {} as { h: Harness; c: RunningCollector }
  beforeAll(async () => {
    shared.h = await openHarness()
    // Accept any future time too: the decoding tests send times up to the end of DateTime64(9) (year 2262).
    shared.c = await shared.h.startCollector({ collector: { maxFutureSkewSeconds: 0 } })
  })
  afterAll(async () => {
    await shared.c?.stop()
    await shared.h?.close()
  })
  return shared
}
