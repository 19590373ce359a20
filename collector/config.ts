import type { CollectorConfig } from '../config/index.ts'
import type { BatcherConfig } from './batcher.ts'

// Defaults per storage mode. Embedded: the engine is in this process, so inserts
// are cheap to start and a short interval keeps senders' latency low. Server:
// each insert is an HTTP round trip and a new part on the server, so batches are
// larger and less frequent (ClickHouse advises about one insert per second).
const DEFAULTS: Record<'embedded' | 'server', Omit<BatcherConfig, 'retryAfterSeconds' | 'writeTimeoutMs'>> = {
  embedded: { batchMaxRows: 50_000, batchMaxBytes: 32 * 1024 * 1024, flushIntervalMs: 20, queueMaxRows: 500_000, queueMaxBytes: 256 * 1024 * 1024 },
  server: { batchMaxRows: 100_000, batchMaxBytes: 64 * 1024 * 1024, flushIntervalMs: 250, queueMaxRows: 1_000_000, queueMaxBytes: 512 * 1024 * 1024 },
}

export function batcherConfig(config: CollectorConfig, mode: 'embedded' | 'server'): BatcherConfig {
  const d = DEFAULTS[mode]
  return {
    batchMaxRows: config.batchMaxRows ?? d.batchMaxRows,
    batchMaxBytes: config.batchMaxBytes ?? d.batchMaxBytes,
    flushIntervalMs: config.flushIntervalMs ?? d.flushIntervalMs,
    queueMaxRows: config.queueMaxRows ?? d.queueMaxRows,
    queueMaxBytes: config.queueMaxBytes ?? d.queueMaxBytes,
    retryAfterSeconds: config.retryAfterSeconds,
    writeTimeoutMs: config.writeTimeoutMs,
  }
}
