// The durable ingest queue: a request is acknowledged once its rows are
// appended to this collector's write-ahead queue on disk and fsynced (many
// requests share one fsync: group commit), then inserted into ClickHouse from
// there in large batches. Each table has one open segment taking appends; it
// is sealed when it holds batchMaxRows or batchMaxBytes, or when its oldest
// row has waited flushIntervalMs and no insert is running for its table, or
// before a request would take it past the partitions one insert may touch.
// Sealed segments are inserted one at a time per table, in order, and deleted
// once stored; a storage outage only makes them wait (retried with backoff)
// until the disk bound, queue.maxBytes, refuses new requests (429, or 503
// while storage is failing). Nothing acknowledged is held in memory: rows go
// to the page cache at once and ClickHouse reads them from the files. At start
// the segments left by the previous process are replayed first (shipper.ts
// makes every insert idempotent).

import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import type { Logger } from '../../instrumentation/index.ts'
import type { FileRange } from '../../storage/index.ts'
import { BackpressureError, Deferred, RowsRefusedError, WriteFailedError, type BatcherObserver, type FlushTrigger, type RowSink, type TableRows } from '../batcher.ts'
import { lockQueueDir } from './lock.ts'
import { segmentsLeftIn } from './recovery.ts'
import { Segment } from './segment.ts'
import { ship, type ShipDeps } from './shipper.ts'

export interface QueueConfig {
  /** This collector's own directory: segments, the dead-letter directory, a lock. */
  dir: string
  /** Disk bound: segments not yet inserted may hold this many bytes; beyond, 429 (503 while storage fails). */
  maxBytes: number
  batchMaxRows: number
  batchMaxBytes: number
  flushIntervalMs: number
  /** Retry-After given to refused senders, and the longest wait between insert retries. */
  retryAfterSeconds: number
  /** ClickHouse's max_partitions_per_insert_block: a request on more days is refused (400), a segment is sealed before it would exceed it. */
  maxPartitionsPerInsert: number
  /** /readyz reports the queue as backing up once its oldest row has waited this long. */
  backlogSeconds: number
}

export type FileInsert = (table: string, file: FileRange, token: string) => Promise<void>

export interface QueueObserver extends BatcherObserver {
  deadLettered?(table: string, rows: number): void
}

export interface QueueStats {
  rows: number
  /** Request parts waiting: one per request and table. */
  requests: number
  bytes: number
  segments: number
  oldestAgeSeconds: number
}

/** What /readyz says of the queue: `full` is not ready (senders are about to be refused). */
export interface QueueHealth {
  state: 'ok' | 'backing_up' | 'full'
  reason?: string
}

const FULL_FRACTION = 0.9

export class DurableQueue implements RowSink {
  /** Every segment not yet inserted, oldest first (insertion order is creation order). */
  private readonly segments = new Set<Segment>()
  private readonly open = new Map<string, Segment>()
  private readonly ready = new Map<string, Segment[]>()
  private readonly shipping = new Map<string, Promise<void>>()
  private readonly timers = new Map<string, NodeJS.Timeout>()
  private readonly dirty = new Set<Segment>()
  private syncWaiters: Deferred[] = []
  private syncing = false
  private totals = { rows: 0, bytes: 0, requests: 0 }
  private lastError = ''
  private closed = false
  private stopping = false
  private readonly wakeups = new Set<() => void>()
  private readonly shipDeps: ShipDeps

  private constructor(
    private readonly config: QueueConfig,
    private readonly insert: FileInsert,
    private readonly log: Logger,
    /** This process's hold on the directory, given back at close. */
    private readonly lock: { release(): void },
    private readonly observer?: QueueObserver,
  ) {
    this.shipDeps = {
      deadLetterDir: join(config.dir, 'dead-letter'),
      insert: (table, file, token, rows) => this.timedInsert(table, file, token, rows),
      deadLettered: (segment, first, last, rows, reason, file) => {
        this.log.error({ table: segment.table, rows, frames: [first, last], reason, file }, 'rows refused by ClickHouse after they were acknowledged: set aside in the dead-letter directory')
        this.observer?.deadLettered?.(segment.table, rows)
      },
    }
  }

  /** Opens (creating) the queue directory and replays what an earlier process left there. */
  static open(config: QueueConfig, insert: FileInsert, log: Logger, observer?: QueueObserver): DurableQueue {
    mkdirSync(config.dir, { recursive: true })
    const queue = new DurableQueue(config, insert, log, lockQueueDir(config.dir), observer)
    queue.recover()
    return queue
  }

  get stats(): QueueStats {
    const oldest = this.segments.values().next().value as Segment | undefined
    return { ...this.totals, segments: this.segments.size, oldestAgeSeconds: oldest ? Math.max(0, (Date.now() - oldest.createdAt) / 1000) : 0 }
  }

  get health(): QueueHealth {
    const s = this.stats
    const used = s.bytes / this.config.maxBytes
    if (used >= FULL_FRACTION) return { state: 'full', reason: `the ingest queue holds ${s.bytes} bytes, ${Math.round(used * 100)} % of queue.maxBytes: storage is not keeping up (${this.lastError || 'inserts are slow'})` }
    if (s.oldestAgeSeconds >= this.config.backlogSeconds) return { state: 'backing_up', reason: `the oldest queued rows have waited ${Math.round(s.oldestAgeSeconds)} s for their insert${this.lastError ? ` (${this.lastError})` : ''}` }
    return { state: 'ok' }
  }

  submitPerTable(batch: readonly TableRows[]): Promise<void>[] {
    const tables = batch.filter((t) => t.rows > 0)
    if (tables.length === 0) return []
    const c = this.config
    if (this.closed) throw new BackpressureError('the collector is shutting down', 503, c.retryAfterSeconds)
    const days = tables[0]!.days ?? []
    if (days.length > c.maxPartitionsPerInsert) {
      // ClickHouse would refuse these rows once acknowledged: refuse them now, as it would (400).
      const message = `the request's items fall on ${days.length} distinct days; ClickHouse takes at most ${c.maxPartitionsPerInsert} partitions (days) in one insert (max_partitions_per_insert_block): send them in separate requests`
      return tables.map((t) => {
        this.observer?.refused?.(t.table, t.rows)
        return Promise.reject(new RowsRefusedError(`ClickHouse would refuse the rows for ${t.table}: ${message}`, t.table))
      })
    }
    const bytes = tables.reduce((n, t) => n + t.bytes.length, 0)
    if (this.totals.bytes > 0 && this.totals.bytes + bytes > c.maxBytes) {
      // Storage failing (the last insert failed and none succeeded since): 503; only slow: 429.
      const failing = this.lastError !== ''
      const why = failing ? `storage is unavailable (${this.lastError})` : 'storage is not keeping up'
      throw new BackpressureError(`the ingest queue is full (${this.totals.bytes} bytes on disk, queue.maxBytes ${c.maxBytes}): ${why}; retry later`, failing ? 503 : 429, c.retryAfterSeconds)
    }
    for (const t of tables) this.append(t, days)
    this.observer?.queueChanged(this.totals.rows, this.totals.bytes)
    for (const t of tables) this.maybeSeal(t.table)
    const synced = this.sync()
    return tables.map(() => synced)
  }

  private append(t: TableRows, days: readonly number[]): void {
    let segment: Segment
    try {
      segment = this.segmentFor(t.table, days)
      segment.append(t.bytes, t.rows, days)
    } catch (err) {
      const message = (err as Error).message
      this.log.error({ table: t.table, dir: this.config.dir, err: message }, 'cannot append to the ingest queue')
      throw new BackpressureError(`the ingest queue cannot write to its disk (${message}); retry later`, 503, this.config.retryAfterSeconds)
    }
    this.dirty.add(segment)
    this.totals.rows += t.rows
    this.totals.bytes += t.bytes.length
    this.totals.requests++
  }

  /** The table's open segment, sealing it first when `days` would take it past the partitions of one insert. */
  private segmentFor(table: string, days: readonly number[]): Segment {
    let segment = this.open.get(table)
    // Sealed while open: a failed write could not be cut back; insert what it holds and start another.
    if (segment?.sealed) {
      this.seal(table, 'full')
      segment = undefined
    }
    if (segment && days.some((d) => !segment!.days.has(d))) {
      const union = new Set([...segment.days, ...days])
      if (union.size > this.config.maxPartitionsPerInsert) {
        this.seal(table, 'partitions')
        segment = undefined
      }
    }
    if (!segment) {
      segment = Segment.create(this.config.dir, table)
      this.segments.add(segment)
      this.open.set(table, segment)
    }
    return segment
  }

  /** Seals the table's open segment when full, or aged with no insert running for the table; else sets a timer for its age. */
  private maybeSeal(table: string): void {
    const segment = this.open.get(table)
    if (!segment) return
    const c = this.config
    const full = segment.rows >= c.batchMaxRows || segment.bytes >= c.batchMaxBytes
    const waitMs = segment.createdAt + c.flushIntervalMs - Date.now()
    if (full || this.closed || (waitMs <= 0 && !this.shipping.has(table))) {
      this.seal(table, full ? 'full' : this.closed ? 'shutdown' : 'interval')
      return
    }
    if (this.timers.has(table) || waitMs <= 0) return
    this.timers.set(
      table,
      setTimeout(() => {
        this.timers.delete(table)
        this.maybeSeal(table)
      }, waitMs),
    )
  }

  private seal(table: string, trigger: FlushTrigger): void {
    const segment = this.open.get(table)
    if (!segment) return
    this.open.delete(table)
    clearTimeout(this.timers.get(table))
    this.timers.delete(table)
    segment.seal()
    this.observer?.flushStarted?.(table, trigger)
    // Inserted only once durable: an insert must not store rows whose sender may yet be told to retry.
    void this.sync().then(
      () => this.enqueue(segment),
      () => this.enqueue(segment),
    )
  }

  private enqueue(segment: Segment): void {
    segment.close()
    const list = this.ready.get(segment.table) ?? []
    list.push(segment)
    this.ready.set(segment.table, list)
    this.kick(segment.table)
  }

  /** Group commit: resolves once everything appended before the call is on disk; one fsync per segment serves every request waiting. */
  private sync(): Promise<void> {
    const waiter = new Deferred()
    this.syncWaiters.push(waiter)
    this.runSync()
    return waiter.promise
  }

  private runSync(): void {
    if (this.syncing || this.syncWaiters.length === 0) return
    this.syncing = true
    const waiters = this.syncWaiters
    this.syncWaiters = []
    const segments = [...this.dirty]
    this.dirty.clear()
    Promise.all(segments.map((s) => s.sync()))
      .then(
        () => waiters.forEach((w) => w.resolve()),
        (err: Error) => {
          this.log.error({ dir: this.config.dir, err: err.message }, 'fsync of the ingest queue failed: its requests are refused')
          const failed = new WriteFailedError(`the ingest queue could not make the rows durable (${err.message}); retry later`, this.config.retryAfterSeconds, { cause: err })
          waiters.forEach((w) => w.reject(failed))
        },
      )
      .finally(() => {
        this.syncing = false
        this.runSync()
      })
  }

  /** Starts the table's insert loop unless one runs. */
  private kick(table: string): void {
    if (this.shipping.has(table) || !(this.ready.get(table)?.length)) return
    const run = this.shipTable(table).finally(() => {
      this.shipping.delete(table)
      this.maybeSeal(table)
      if (!this.stopping) this.kick(table)
    })
    this.shipping.set(table, run)
  }

  private async shipTable(table: string): Promise<void> {
    const list = this.ready.get(table)!
    let backoffMs = 250
    while (list.length > 0 && !this.stopping) {
      const segment = list[0]!
      try {
        await ship(segment, this.shipDeps)
      } catch (err) {
        this.lastError = (err as Error).message.split('\n')[0] ?? 'insert failed'
        this.log.warn({ table, segment: segment.name, rows: segment.rows, err: this.lastError, retryInMs: backoffMs }, 'insert from the ingest queue failed; the rows stay queued and are retried')
        await this.pause(backoffMs)
        backoffMs = Math.min(backoffMs * 2, this.config.retryAfterSeconds * 1000)
        continue
      }
      backoffMs = 250
      this.lastError = ''
      list.shift()
      this.remove(segment)
    }
  }

  private async timedInsert(table: string, file: FileRange, token: string, rows: number): Promise<void> {
    const started = performance.now()
    try {
      await this.insert(table, file, token)
      this.observer?.flushed(table, rows, file.end - file.start, (performance.now() - started) / 1000, true)
    } catch (err) {
      this.observer?.flushed(table, rows, file.end - file.start, (performance.now() - started) / 1000, false)
      throw err
    }
  }

  private remove(segment: Segment): void {
    segment.remove()
    this.segments.delete(segment)
    this.totals.rows -= segment.rows
    this.totals.bytes -= segment.bytes
    this.totals.requests -= segment.frames.length
    this.observer?.queueChanged(this.totals.rows, this.totals.bytes)
  }

  /** Waits `ms`, or less if the queue is being stopped. */
  private pause(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer)
        this.wakeups.delete(done)
        resolve()
      }
      const timer = setTimeout(done, ms)
      this.wakeups.add(done)
    })
  }

  /** Segments an earlier process left, oldest first, queued for insert before anything new. */
  private recover(): void {
    for (const segment of segmentsLeftIn(this.config.dir, this.shipDeps)) {
      this.segments.add(segment)
      this.totals.rows += segment.rows
      this.totals.bytes += segment.bytes
      this.totals.requests += segment.frames.length
      this.log.info({ table: segment.table, segment: segment.name, rows: segment.rows }, 'replaying rows queued by an earlier process')
      this.observer?.flushStarted?.(segment.table, 'replay')
      const list = this.ready.get(segment.table) ?? []
      list.push(segment)
      this.ready.set(segment.table, list)
    }
    this.observer?.queueChanged(this.totals.rows, this.totals.bytes)
    for (const table of this.ready.keys()) this.kick(table)
  }

  /**
   * Refuses new requests, seals every open segment and inserts what is
   * queued, for at most `deadlineMs`; what storage did not take by then
   * stays on disk and is replayed at the next start.
   */
  async close(deadlineMs: number): Promise<void> {
    this.closed = true
    for (const table of [...this.open.keys()]) this.seal(table, 'shutdown')
    await this.sync().catch(() => undefined)
    const deadline = Date.now() + deadlineMs
    while (this.segments.size > 0 && Date.now() < deadline) {
      const running = [...this.shipping.values()]
      if (running.length === 0) await new Promise((r) => setTimeout(r, 20))
      else await Promise.race([Promise.all(running), new Promise((r) => setTimeout(r, Math.max(0, deadline - Date.now())))])
    }
    this.stopping = true
    for (const wake of [...this.wakeups]) wake()
    await Promise.allSettled([...this.shipping.values()])
    for (const segment of this.segments) segment.close()
    if (this.segments.size > 0) this.log.warn({ rows: this.totals.rows, bytes: this.totals.bytes, dir: this.config.dir }, 'stopped with acknowledged rows not yet inserted: they stay queued on disk and are inserted at the next start')
    this.lock.release()
  }
}

