import { randomUUID } from 'node:crypto'
import type { Logger } from '../../instrumentation/index.ts'
import type { Storage } from '../../storage/index.ts'
import { LEASE_TABLE } from './table.ts'

// The engine lease in ClickHouse (docs/replicas.md): the replica
// that holds it runs the ticks and sends notifications and reports; the others
// stand by and take over once it runs out.
//
//   claim    epoch N+1, only if epoch N ran out (server time) more than `grace`
//            ago; deduplication token `<name>/N+1`, so one claim per epoch is
//            stored whoever races; then read back: the stored claim is the winner.
//   renew    every ttl/3, only if this claim still leads and has not run out on
//            the server; a renewal never revives a lease a standby may be claiming.
//   release  on a graceful stop: the claim runs out now, a standby takes over
//            at its next check instead of a ttl later.
//
// This replica counts itself leader until `ttl` after it *sent* the write that
// claimed or renewed: the server stamps the expiry no earlier, and standbys add
// `grace`, so a replica stops leading before any other may start.

export interface LeaseOptions {
  storage: Storage
  logger: Logger
  /** Who this replica is, for people (logs, /readyz, the table's holder column). */
  replicaId: string
  ttlMs: number
  /** Which lease (default "engine"). */
  name?: string
}

/** What this replica knows of the lease, for /readyz and /metrics. */
export interface LeaseStatus {
  role: 'leader' | 'standby'
  replicaId: string
  /** The epoch this replica holds (leader), or the latest one it saw held by another. */
  epoch: number | undefined
  /** The replica that leads as last read (this one when leading). */
  leader: string | undefined
  ttlMs: number
}

/** The fencing token: read it just before a side effect, and compare it with the one the work began under. */
export interface Leadership {
  /** The epoch this replica holds now; undefined when it does not lead (or its own clock says the lease may have run out). */
  epoch(): number | undefined
}

export interface Lease extends Leadership {
  readonly replicaId: string
  status(): LeaseStatus
  /** Times this replica took the lease over (for /metrics). */
  takeovers(): number
  /** Lease reads or writes that failed (for /metrics). */
  errors(): number
  /**
   * Claims the lease or stands by, then keeps renewing or checking. `onChange`
   * is called with the new epoch when this replica starts leading and with
   * undefined when it stops, one call at a time, in order.
   */
  start(onChange: (epoch: number | undefined) => Promise<void>): Promise<void>
  /** Stops checking, calls onChange(undefined) if leading, then releases the lease. */
  stop(): Promise<void>
}

interface Top {
  epoch: number
  claimId: string
  holder: string
  expiresMs: number
  nowMs: number
}

interface Held {
  epoch: number
  claimId: string
  /** performance.now() after which this replica no longer counts itself leader. */
  deadline: number
  expiresMs: number
}

/** The insert settings on a cluster: its condition reads what a quorum acknowledged, and the write reaches a quorum of the shard's replicas before it returns. */
function clusterInsertSettings(storage: Storage): string[] {
  return storage.cluster ? ["insert_quorum = 'auto'", 'insert_quorum_parallel = 0', 'distributed_foreground_insert = 1', 'select_sequential_consistency = 1'] : []
}

const COLUMNS = `${LEASE_TABLE} (name, epoch, claim_id, holder, ttl_ms)`
const VALUES = '{name:String}, {epoch:UInt64}, {claim:String}, {holder:String}, {ttl:UInt32}'

export function createClickHouseLease(options: LeaseOptions): Lease {
  const { storage, logger, replicaId, ttlMs } = options
  const name = options.name ?? 'engine'
  const intervalMs = Math.max(100, Math.floor(ttlMs / 3))
  // The server's insert of a renewal takes a few ms to be visible: a standby waits this much beyond the expiry.
  const graceMs = Math.max(100, Math.floor(ttlMs / 10))
  const readSettings = storage.cluster ? ' SETTINGS select_sequential_consistency = 1' : ''
  let held: Held | undefined
  let seen: { epoch: number; holder: string } | undefined
  let onChange: (epoch: number | undefined) => Promise<void> = async () => {}
  let changes: Promise<void> = Promise.resolve()
  let timer: NodeJS.Timeout | undefined
  let deadlineTimer: NodeJS.Timeout | undefined
  let stepping: Promise<void> | undefined
  let stopped = false
  let takeovers = 0
  let errors = 0

  const epoch = () => (held && performance.now() < held.deadline ? held.epoch : undefined)

  async function readTop(): Promise<Top | undefined> {
    const rows = await storage.query<{ epoch: string; claim_id: string; holder: string; expires_ms: string; now_ms: string }>(
      `SELECT epoch, claim_id, any(holder) AS holder,
              toUnixTimestamp64Milli(argMax(expires_at, written_at)) AS expires_ms,
              toUnixTimestamp64Milli(now64(3)) AS now_ms
       FROM ${LEASE_TABLE} WHERE name = {name:String}
       GROUP BY epoch, claim_id ORDER BY epoch DESC, claim_id LIMIT 1${readSettings}`,
      { name },
    )
    const r = rows[0]
    return r && { epoch: Number(r.epoch), claimId: r.claim_id, holder: r.holder, expiresMs: Number(r.expires_ms), nowMs: Number(r.now_ms) }
  }

  /** Inserts the claim of epoch `next`, unless epoch next − 1 is still held (server time, plus grace). */
  async function insertClaim(next: number, claimId: string): Promise<void> {
    const settings = [`insert_deduplication_token = '${name}/${next}'`, ...clusterInsertSettings(storage)]
    await storage.command(
      `INSERT INTO ${COLUMNS} SETTINGS ${settings.join(', ')}
       SELECT ${VALUES} FROM ${LEASE_TABLE} WHERE name = {name:String}
       HAVING max(epoch) = {previous:UInt64}
          AND toUnixTimestamp64Milli(argMaxIf(expires_at, written_at, epoch = {previous:UInt64})) + {grace:UInt32} < toUnixTimestamp64Milli(now64(3))`,
      { name, epoch: next, claim: claimId, holder: replicaId, ttl: ttlMs, previous: next - 1, grace: graceMs },
    )
  }

  /** Writes the claim again with `ttl` from now, if it still leads and has not run out on the server. */
  async function insertRenewal(h: Held, ttl: number): Promise<void> {
    const settings = ['insert_deduplicate = 0', ...clusterInsertSettings(storage)]
    await storage.command(
      `INSERT INTO ${COLUMNS} SETTINGS ${settings.join(', ')}
       SELECT ${VALUES} FROM ${LEASE_TABLE} WHERE name = {name:String}
       HAVING max(epoch) = {epoch:UInt64}
          AND argMaxIf(expires_at, written_at, claim_id = {claim:String}) > now64(3)
          AND countIf(epoch = {epoch:UInt64} AND claim_id < {claim:String}) = 0`,
      { name, epoch: h.epoch, claim: h.claimId, holder: replicaId, ttl },
    )
  }

  function notify(next: number | undefined): void {
    changes = changes
      .then(() => onChange(next))
      .catch((err) => {
        if (next === undefined) return logger.error({ err }, 'engine lease: standing down failed')
        // A leader that cannot start (storage failing as it took over) gives the lease up rather than hold it idle.
        logger.error({ err, epoch: next }, 'engine lease: taking the lead failed: giving the lease up')
        const h = held
        if (h?.epoch !== next) return
        lose('taking the lead failed')
        void insertRenewal(h, 0).catch(() => undefined)
      })
  }

  function lead(h: Held, previous: Top | undefined): void {
    held = h
    takeovers++
    seen = { epoch: h.epoch, holder: replicaId }
    logger.warn(
      { replica: replicaId, epoch: h.epoch, ...(previous && { previousLeader: previous.holder, previousEpoch: previous.epoch }) },
      'engine lease taken: this replica now runs the ticks and sends notifications',
    )
    armDeadline()
    notify(h.epoch)
  }

  function lose(reason: string): void {
    if (!held) return
    logger.warn({ replica: replicaId, epoch: held.epoch, reason }, 'engine lease lost: this replica stops ticking and stands by')
    held = undefined
    clearTimeout(deadlineTimer)
    notify(undefined)
  }

  /** Stops leading at the deadline even when a renewal hangs. */
  function armDeadline(): void {
    clearTimeout(deadlineTimer)
    if (!held) return
    deadlineTimer = setTimeout(() => {
      if (held && performance.now() >= held.deadline) lose(`not renewed within the lease TTL (${ttlMs} ms)`)
    }, Math.max(0, held.deadline - performance.now()) + 1)
    deadlineTimer.unref()
  }

  async function renew(h: Held): Promise<void> {
    const sentAt = performance.now()
    await insertRenewal(h, ttlMs)
    const top = await readTop()
    if (!top || top.epoch !== h.epoch || top.claimId !== h.claimId) return lose(`replica ${top?.holder ?? '?'} holds epoch ${top?.epoch ?? '?'}`)
    if (top.expiresMs <= h.expiresMs) return lose('the lease ran out on the ClickHouse server before it was renewed')
    if (held !== h) return
    held = { ...h, deadline: sentAt + ttlMs, expiresMs: top.expiresMs }
    armDeadline()
  }

  async function tryClaim(): Promise<void> {
    const top = await readTop()
    if (top && top.expiresMs + graceMs >= top.nowMs) {
      if (seen?.epoch !== top.epoch) logger.info({ replica: replicaId, leader: top.holder, epoch: top.epoch }, 'another engine replica leads: standing by')
      seen = { epoch: top.epoch, holder: top.holder }
      return
    }
    const claimId = randomUUID()
    const next = (top?.epoch ?? 0) + 1
    const sentAt = performance.now()
    await insertClaim(next, claimId)
    const now = await readTop()
    if (now && now.epoch === next && now.claimId === claimId) return lead({ epoch: next, claimId, deadline: sentAt + ttlMs, expiresMs: now.expiresMs }, top)
    if (now) seen = { epoch: now.epoch, holder: now.holder }
  }

  async function step(): Promise<void> {
    try {
      if (held && performance.now() < held.deadline) await renew(held)
      else {
        lose(`not renewed within the lease TTL (${ttlMs} ms)`)
        if (!stopped) await tryClaim()
      }
    } catch (err) {
      errors++
      logger.warn({ replica: replicaId, error: (err as Error).message }, held ? 'engine lease renewal failed: retrying' : 'engine lease check failed: retrying')
    }
  }

  function schedule(): void {
    if (stopped) return
    timer = setTimeout(() => {
      stepping = step().finally(() => {
        stepping = undefined
        schedule()
      })
    }, intervalMs)
    timer.unref()
  }

  return {
    replicaId,
    epoch,
    takeovers: () => takeovers,
    errors: () => errors,
    status: () => {
      const e = epoch()
      return { role: e === undefined ? 'standby' : 'leader', replicaId, epoch: e ?? seen?.epoch, leader: e === undefined ? seen?.holder : replicaId, ttlMs }
    },
    async start(listener) {
      onChange = listener
      stopped = false
      await step()
      await changes
      schedule()
    },
    async stop() {
      stopped = true
      clearTimeout(timer)
      await stepping
      const h = held
      lose('this replica is stopping')
      await changes
      if (!h) return
      // The claim runs out now: a standby takes over at its next check.
      await insertRenewal(h, 0).catch((err) => logger.warn({ error: (err as Error).message }, 'engine lease not released: a standby takes over once it runs out'))
    },
  }
}

/**
 * The lease on the embedded store: one process only, so it always leads
 * (epoch 0) and nothing is read or written.
 */
export function createStaticLease(replicaId: string): Lease {
  let leading = false
  let onChange: (epoch: number | undefined) => Promise<void> = async () => {}
  return {
    replicaId,
    epoch: () => 0,
    takeovers: () => 0,
    errors: () => 0,
    status: () => ({ role: 'leader', replicaId, epoch: 0, leader: replicaId, ttlMs: 0 }),
    async start(listener) {
      onChange = listener
      leading = true
      await onChange(0)
    },
    async stop() {
      if (leading) await onChange(undefined)
      leading = false
    },
  }
}
