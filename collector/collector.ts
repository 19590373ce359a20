import type { CollectorConfig } from '../config/index.ts'
import { StorageBadDataError, type FileRange, type Storage } from '../storage/index.ts'
import { noopTracer, type Logger, type Registry, type Tracer } from '../instrumentation/index.ts'
import type { Authorize } from './auth.ts'
import { createIsolation, type Isolation } from '../isolation/index.ts'
import { Batcher, type RowSink } from './batcher.ts'
import { batcherConfig, MAX_PARTITIONS_PER_INSERT, queueConfig } from './config.ts'
import { DurableQueue, type QueueHealth, type QueueStats } from './queue/queue.ts'
import { ReceiverServer, type Route } from './http/server.ts'
import { CollectorMetrics } from './metrics.ts'
import { otlpRoute, type RetentionDays } from './otlp/receiver.ts'
import { remoteWriteRoute } from './remote-write/receiver.ts'
import { insertFormat } from './tables.ts'

export interface CollectorDeps {
  config: CollectorConfig
  host: string
  storage: Storage
  logger: Logger
  registry: Registry
  /** Decides from the Authorization header whether a sender may write (401/403 otherwise). */
  authorize?: Authorize
  /** Days each signal's table keeps rows: older items are refused rather than acknowledged and then dropped by the TTL. */
  retentionDays?: RetentionDays
  /** The process's body budget and parse workers, shared with the API; a collector alone gets its own. */
  isolation?: Isolation
  /** Records a span per request (except cairn's own trace exports); none without. */
  tracer?: Tracer
  /**
   * The durable queue's directory when `collector.queue.dir` is not set (the
   * service passes <storage.dataDir>/wal). With neither, or with
   * `collector.queue.mode: off`, requests are acknowledged once inserted.
   */
  queueDir?: string
}

export interface Collector {
  /** Starts listening; resolves with the bound port. */
  start(): Promise<number>
  /** Stops accepting requests and writes everything already acknowledged or buffered. */
  stop(): Promise<void>
  /** The durable queue's depth and whether it is backing up (undefined without a queue). */
  queue(): { stats: QueueStats; health: QueueHealth } | undefined
}

/** How long stop() lets requests in progress finish after the buffers are written. */
const STOP_GRACE_MS = 5_000
/** How long stop() keeps inserting from the durable queue; the rest is inserted at the next start. */
const QUEUE_DRAIN_MS = 30_000

// Every insert from the queue: its token makes a retry or a replay store
// nothing twice (also through the ingest tables' views); async inserts would
// skip token deduplication; the partition limit is the one requests are checked against.
const queueInsertSettings = (token: string) => ({
  insert_deduplication_token: token,
  insert_deduplicate: 1 as const,
  deduplicate_blocks_in_dependent_materialized_views: 1 as const,
  async_insert: 0 as const,
  max_partitions_per_insert_block: String(MAX_PARTITIONS_PER_INSERT),
})

/**
 * The OTLP/HTTP and remote_write collector: receivers decode requests into
 * rows, the batcher buffers them per table and writes them through storage,
 * and a request is answered only once its rows are written.
 */
export function createCollector(deps: CollectorDeps): Collector {
  const metrics = new CollectorMetrics(deps.registry)
  const log = deps.logger
  const queueDir = deps.config.queue.mode === 'disk' ? (deps.config.queue.dir ?? deps.queueDir) : undefined
  // Opened at start(): it replays what an earlier process left.
  let queue: DurableQueue | undefined
  const batcher = queueDir
    ? undefined
    : new Batcher(
        batcherConfig(deps.config, deps.storage.mode),
        async (table, payload) => {
          try {
            await deps.storage.insertRaw(table, insertFormat(table), payload)
          } catch (err) {
            // Refused rows are the sender's problem (the batcher finds whose, and answers them 400); anything else is ours.
            if (err instanceof StorageBadDataError) log.info({ table, err: err.message }, 'insert refused by ClickHouse; isolating the requests at fault')
            else log.warn({ table, err: (err as Error).message }, 'insert failed')
            throw err
          }
        },
        metrics,
      )
  const sink: RowSink = batcher ?? {
    submitPerTable: (rows) => {
      if (!queue) throw new Error('the collector is not started')
      return queue.submitPerTable(rows)
    },
  }
  const ownIsolation = deps.isolation ? undefined : createIsolation()
  const receiverDeps = {
    batcher: sink,
    metrics,
    body: { maxBytes: deps.config.maxBodyBytes, timeoutMs: deps.config.bodyTimeoutMs },
    isolation: deps.isolation ?? ownIsolation!,
    authorize: deps.authorize,
    retentionDays: deps.retentionDays,
    maxFutureSkewSeconds: deps.config.maxFutureSkewSeconds,
    limits: deps.config.limits,
  }
  const routes = new Map<string, Route>([
    ['/v1/traces', otlpRoute('traces', receiverDeps)],
    ['/v1/logs', otlpRoute('logs', receiverDeps)],
    ['/v1/metrics', otlpRoute('metrics', receiverDeps)],
    ['/api/v1/write', remoteWriteRoute(receiverDeps)],
  ])
  const server = new ReceiverServer(routes, log, deps.tracer ?? noopTracer())

  return {
    async start() {
      if (queueDir && !queue) {
        const insert = (table: string, file: FileRange, token: string) => deps.storage.insertRawFile(table, insertFormat(table), file, queueInsertSettings(token))
        queue = DurableQueue.open(queueConfig(deps.config, queueDir), insert, log, metrics)
        metrics.watchQueue(() => queue!.stats)
      }
      return server.listen(deps.config.port, deps.host)
    },
    async stop() {
      const closing = server.close(STOP_GRACE_MS)
      await batcher?.close()
      await queue?.close(QUEUE_DRAIN_MS)
      await closing
      await ownIsolation?.pool.close()
      const rows = batcher?.queue.rows ?? 0
      if (rows > 0) log.warn({ rows }, 'stopped with rows not written (their senders were not acknowledged)')
    },
    queue: () => (queue ? { stats: queue.stats, health: queue.health } : undefined),
  }
}
