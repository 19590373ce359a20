import { Counter, Gauge } from 'prom-client'
import type { Registry } from '../../instrumentation/index.ts'
import type { Lease } from './lease.ts'

/** cairn_engine_leader, cairn_engine_lease_epoch and the lease's counters, read from `lease` at each scrape. */
export function registerLeaseMetrics(registry: Registry, lease: Lease): void {
  new Gauge({
    name: 'cairn_engine_leader',
    help: 'Whether this engine replica holds the lease and runs the ticks (1) or stands by (0)',
    registers: [registry],
    collect() {
      this.set(lease.epoch() === undefined ? 0 : 1)
    },
  })
  new Gauge({
    name: 'cairn_engine_lease_epoch',
    help: 'Epoch of the engine lease: the one this replica holds, or the latest it saw another replica hold (0 on the embedded store)',
    registers: [registry],
    collect() {
      const epoch = lease.status().epoch
      if (epoch !== undefined) this.set(epoch)
    },
  })
  mirroredCounter(registry, 'cairn_engine_lease_takeovers_total', 'Times this replica took the engine lease (became the leader)', () => lease.takeovers())
  mirroredCounter(registry, 'cairn_engine_lease_errors_total', 'Engine lease reads and writes that failed (a leader that cannot renew for a whole TTL stands down)', () => lease.errors())
}

/** A counter that follows a count kept elsewhere, read at each scrape. */
function mirroredCounter(registry: Registry, name: string, help: string, read: () => number): void {
  let seen = 0
  new Counter({
    name,
    help,
    registers: [registry],
    collect() {
      const now = read()
      this.inc(now - seen)
      seen = now
    },
  })
}
