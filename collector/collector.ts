import type { CollectorConfig } from '../config/index.ts'
import { StorageBadDataError, type Storage } from '../storage/index.ts'
import { noopTracer, type Logger, type Registry, type Tracer } from '../instrumentation/index.ts'
import type { Authorize } from './auth.ts'
import { createIsolation, type Isolation } from '../isolation/index.ts'
import { Batcher } from './batcher.ts'
import { batcherConfig } from './config.ts'
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
}

export interface Collector {
  /** Starts listening; resolves with the bound port. */
  start(): Promise<number>
  /** Stops accepting requests and writes everything already acknowledged or buffered. */
  stop(): Promise<void>
}

/** How long stop() lets requests in progress finish after the buffers are written. */
const STOP_GRACE_MS = 5_000

/**
 * The OTLP/HTTP and remote_write collector: receivers decode requests into
 * rows, the batcher buffers them per table and writes them through storage,
 * and a request is answered only once its rows are written.
 */
export function createCollector(deps: CollectorDeps): Collector {
  const metrics = new CollectorMetrics(deps.registry)
  const log = deps.logger
  const batcher = new Batcher(
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
  const ownIsolation = deps.isolation ? undefined : createIsolation()
  const receiverDeps = {
    batcher,
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
    start: () => server.listen(deps.config.port, deps.host),
    async stop() {
      const closing = server.close(STOP_GRACE_MS)
      await batcher.close()
      await closing
      await ownIsolation?.pool.close()
      const { rows } = batcher.queue
      if (rows > 0) log.warn({ rows }, 'stopped with rows not written (their senders were not acknowledged)')
    },
  }
}
