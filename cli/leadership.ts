import { hostname } from 'node:os'
import { leaseTtlMs, type EngineConfig } from '../config/index.ts'
import type { Logger, Registry } from '../instrumentation/index.ts'
import type { Storage } from '../storage/index.ts'
import { createClickHouseLease, createStaticLease, fencedStorage, registerLeaseMetrics, type Engine, type Lease } from '../slo-engine/index.ts'
import { scheduleIntervalSeconds, type Alerter } from '../alerts/index.ts'

// Which engine replica runs (docs/replicas.md): the holder of
// the lease loads the alert states and ticks; when it loses the lease it stops
// ticking and forgets them. On the embedded store there is one process only:
// the lease is held from the start and costs nothing.

export interface EngineLeadership {
  lease: Lease
  /** Against a server: other replicas may share the lease (false on the embedded store). */
  replicated: boolean
  /** What the engine and alerting write through: in server mode, writes are refused unless this replica holds the epoch they run under. */
  storage: Storage
  /** Starts the lease: engine and alerter run while this replica holds it. */
  start(engine: Engine, alerter: Alerter): Promise<void>
  /**
   * Stops the engine (the running tick finishes), delivers the queued notices
   * while still holding the lease, then releases it: a standby takes over at
   * its next check. Nothing restarts the engine once this is called.
   */
  stop(): Promise<void>
}

export function engineLeadership(config: EngineConfig, storage: Storage, logger: Logger, registry: Registry): EngineLeadership {
  const replicaId = config.replicaId ?? `${hostname()}:${process.pid}`
  const ttlMs = leaseTtlMs(config.leaseTtl)
  const embedded = storage.mode === 'embedded'
  const lease = embedded ? createStaticLease(replicaId) : createClickHouseLease({ storage, logger, replicaId, ttlMs })
  registerLeaseMetrics(registry, lease)
  if (!embedded && ttlMs >= scheduleIntervalSeconds(config.schedule) * 1000) {
    logger.warn({ leaseTtl: config.leaseTtl, schedule: config.schedule }, 'CAIRN_ENGINE_LEASE_TTL is not shorter than the evaluation interval: after a replica dies, more than one tick may be missed')
  }
  /** The epoch the engine and alerter run under (undefined: standing by). */
  let runningEpoch: number | undefined
  let stopping = false
  let parts: { engine: Engine; alerter: Alerter } | undefined

  async function lead(engine: Engine, alerter: Alerter, epoch: number): Promise<void> {
    if (stopping) return
    runningEpoch = epoch
    try {
      // The alert states as the last leader stored them, then a tick at once.
      await alerter.start()
      await engine.start()
    } catch (err) {
      runningEpoch = undefined
      throw err
    }
  }

  async function standBy(engine: Engine, alerter: Alerter): Promise<void> {
    runningEpoch = undefined // writes of a tick still under way are refused from now on
    await engine.stop()
    alerter.standBy()
  }

  return {
    lease,
    replicated: !embedded,
    storage: embedded ? storage : fencedStorage(storage, lease, () => runningEpoch),
    start(engine, alerter) {
      parts = { engine, alerter }
      return lease.start((epoch) => (epoch === undefined ? standBy(engine, alerter) : lead(engine, alerter, epoch)))
    },
    async stop() {
      stopping = true
      await parts?.engine.stop()
      await parts?.alerter.stop()
      await lease.stop()
    },
  }
}
