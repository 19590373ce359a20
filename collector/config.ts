import type { CollectorConfig } from '../config/index.ts'
import type { BatcherConfig } from './batcher.ts'
import type { QueueConfig } from './queue/queue.ts'

// Defaults per storage mode. Every insert costs the engine a fixed 20–50 ms of
// CPU into the exporter's tables, whatever its size, so a steady trickle is
// held for up to 200 ms (the OTel Collector batch processor's default timeout)
// and written in few inserts; senders waiting on their answers are not kept
// waiting that long (batcher.ts, arrivals.ts). Server: each insert is also an
// HTTP round trip, so batches are larger still (ClickHouse advises about one
// insert per second).
const DEFAULTS: Record<'embedded' | 'server', Omit<BatcherConfig, 'retryAfterSeconds' | 'writeTimeoutMs'>> = {
  embedded: { batchMaxRows: 50_000, batchMaxBytes: 32 * 1024 * 1024, flushIntervalMs: 200, queueMaxRows: 500_000, queueMaxBytes: 256 * 1024 * 1024 },
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

// With the durable queue, senders no longer wait for inserts, so an insert can
// hold what arrived over a whole second: larger inserts cost the engine less
// per row (docs/performance.md). A segment is one insert.
const QUEUE_BATCH = { batchMaxRows: 50_000, batchMaxBytes: 32 * 1024 * 1024, flushIntervalMs: 1000 }

/** ClickHouse's default max_partitions_per_insert_block, sent with every insert from the queue so that the two agree. */
export const MAX_PARTITIONS_PER_INSERT = 100

export function queueConfig(config: CollectorConfig, dir: string): QueueConfig {
  return {
    dir,
    maxBytes: config.queue.maxBytes,
    batchMaxRows: config.batchMaxRows ?? QUEUE_BATCH.batchMaxRows,
    batchMaxBytes: config.batchMaxBytes ?? QUEUE_BATCH.batchMaxBytes,
    flushIntervalMs: config.flushIntervalMs ?? QUEUE_BATCH.flushIntervalMs,
    retryAfterSeconds: config.retryAfterSeconds,
    maxPartitionsPerInsert: MAX_PARTITIONS_PER_INSERT,
    backlogSeconds: config.queue.backlogSeconds,
  }
}
