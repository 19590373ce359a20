// The batching writer: per-table buffers flushed by size or age, a bounded
// queue (rows and bytes, buffered plus being written), and acknowledgement only
// after the rows are in ClickHouse. A request's promise resolves once every
// table it touched has been written. It is refused up front when the queue is
// full (429) or storage failed recently (503), so memory stays bounded while
// storage is slow or down; it rejects when storage is unavailable (503, the
// sender retries) or when ClickHouse refuses its own rows (400, see isolate()).
// A batch whose rows ClickHouse refuses is split until the guilty requests are
// found: the others are written and acknowledged, and nobody else is refused.

import { StorageBadDataError } from '../storage/index.ts'
import { ArrivalGaps } from './arrivals.ts'

export interface BatcherConfig {
  /** Flush a table's buffer once it holds this many rows… */
  batchMaxRows: number
  /** …or this many bytes… */
  batchMaxBytes: number
  /** …or when its oldest row has waited this long. */
  flushIntervalMs: number
  /** Refuse new data while this many rows are buffered or being written. */
  queueMaxRows: number
  queueMaxBytes: number
  /** After storage failed a write as unavailable, refuse new data for this long (the Retry-After given to senders). */
  retryAfterSeconds: number
  /** A write that has not finished by then fails its requests with 503 (it may still complete). */
  writeTimeoutMs: number
}

export type WriteFn = (table: string, payload: Buffer, rows: number) => Promise<void>

/** Refused before buffering: the queue is full (429) or storage is failing (503). */
export class BackpressureError extends Error {
  constructor(
    message: string,
    readonly status: 429 | 503,
    readonly retryAfterSeconds: number,
  ) {
    super(message)
    this.name = 'BackpressureError'
  }
}

/** A failed write of a batch, for the requests whose rows it held. */
abstract class BatchWriteError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.name = new.target.name
  }
}

/** The write of a batch holding this request's rows failed or timed out because of storage, not of the rows. */
export class WriteFailedError extends BatchWriteError {
  constructor(message: string, readonly retryAfterSeconds: number, options?: { cause?: unknown }) {
    super(message, options)
  }
}

/** ClickHouse refused this request's own rows for `table` (written alone); the other requests of its batch were written. */
export class RowsRefusedError extends BatchWriteError {
  constructor(message: string, readonly table: string, options?: { cause?: unknown }) {
    super(message, options)
  }
}

export interface TableRows {
  table: string
  rows: number
  bytes: Buffer
  /** The UTC days (partitions) the request's items fall on, when known. */
  days?: readonly number[]
}

/** Where receivers hand a request's rows: the batcher (acknowledged once inserted) or the durable queue (once on disk). */
export interface RowSink {
  /** One promise per table of the request (empty tables skipped); throws BackpressureError synchronously when refused. */
  submitPerTable(batch: readonly TableRows[]): Promise<void>[]
}

/** One request's rows for one table, and the promise its request waits on. */
interface Part {
  bytes: Buffer
  rows: number
  done: Deferred
  settled: boolean
}

interface Pending {
  parts: Part[]
  rows: number
  bytes: number
  timer: NodeJS.Timeout | undefined
  /** When the timer fires (performance.now() ms). */
  timerAt: number
  /** When the first row of this buffer arrived. */
  since: number
}

/** A promise and its settle functions; a rejection nobody waits on is not an unhandled one. */
export class Deferred {
  readonly promise: Promise<void>
  resolve!: () => void
  reject!: (err: Error) => void
  constructor() {
    this.promise = new Promise<void>((resolve, reject) => {
      this.resolve = resolve
      this.reject = reject
    })
    // Requests attach their own handlers; a batch nobody waits on must not crash the process.
    this.promise.catch(() => undefined)
  }
}

/** Answers one request's part: written (no error) or failed; only the first answer counts. */
function settle(part: Part, err?: Error): void {
  if (part.settled) return
  part.settled = true
  if (err) part.done.reject(err)
  else part.done.resolve()
}

/** Why a buffer was written: it was full, its rows stopped coming, its oldest row waited flushIntervalMs, or shutdown. */
export type FlushTrigger = 'full' | 'quiet' | 'interval' | 'shutdown' | 'partitions' | 'replay'

export interface BatcherObserver {
  queueChanged(rows: number, bytes: number): void
  flushStarted?(table: string, trigger: FlushTrigger): void
  flushed(table: string, rows: number, bytes: number, seconds: number, ok: boolean): void
  /** ClickHouse refused one request's rows for `table`, written on their own. */
  refused?(table: string, rows: number): void
}

export class Batcher implements RowSink {
  private readonly pending = new Map<string, Pending>()
  private readonly writing = new Map<string, Promise<void>>()
  private readonly arrivals = new Map<string, ArrivalGaps>()
  private queuedRows = 0
  private queuedBytes = 0
  private unavailableUntil = 0
  private lastError = ''
  private closed = false

  constructor(
    private readonly config: BatcherConfig,
    private readonly write: WriteFn,
    private readonly observer?: BatcherObserver,
  ) {}

  get queue(): { rows: number; bytes: number } {
    return { rows: this.queuedRows, bytes: this.queuedBytes }
  }

  /**
   * Buffers one request's rows (all or nothing) and resolves once all of them
   * are written. Throws BackpressureError synchronously when refused.
   */
  submit(batch: readonly TableRows[]): Promise<void> {
    return Promise.all(this.submitPerTable(batch)).then(() => undefined)
  }

  /** As submit, with one promise per table of the request (in `batch` order, empty tables skipped), each settling with its table's write. */
  submitPerTable(batch: readonly TableRows[]): Promise<void>[] {
    const rows = batch.reduce((n, t) => n + t.rows, 0)
    const bytes = batch.reduce((n, t) => n + t.bytes.length, 0)
    if (rows === 0) return []
    this.admit(rows, bytes)
    return batch.filter((t) => t.rows > 0).map((t) => this.append(t))
  }

  private admit(rows: number, bytes: number): void {
    const c = this.config
    if (this.closed) throw new BackpressureError('the collector is shutting down', 503, c.retryAfterSeconds)
    const now = Date.now()
    if (now < this.unavailableUntil) {
      const wait = Math.max(1, Math.ceil((this.unavailableUntil - now) / 1000))
      throw new BackpressureError(`storage is unavailable (${this.lastError}); retry later`, 503, wait)
    }
    // A single request larger than the whole queue is still admitted into an empty queue.
    const empty = this.queuedRows === 0
    if (!empty && (this.queuedRows + rows > c.queueMaxRows || this.queuedBytes + bytes > c.queueMaxBytes)) {
      throw new BackpressureError(
        `the write queue is full (${this.queuedRows} rows, ${this.queuedBytes} bytes buffered); retry later`,
        429,
        c.retryAfterSeconds,
      )
    }
    this.queuedRows += rows
    this.queuedBytes += bytes
    this.observer?.queueChanged(this.queuedRows, this.queuedBytes)
  }

  private append(t: TableRows): Promise<void> {
    let p = this.pending.get(t.table)
    if (!p) {
      p = { parts: [], rows: 0, bytes: 0, timer: undefined, timerAt: Infinity, since: Date.now() }
      this.pending.set(t.table, p)
    }
    // Copy: a request's rows sit in a buffer grown by doubling; the copy is their
    // size, so the queue's byte count is the memory it holds.
    const part: Part = { bytes: Buffer.from(t.bytes), rows: t.rows, done: new Deferred(), settled: false }
    p.parts.push(part)
    p.rows += t.rows
    p.bytes += t.bytes.length
    this.arrivalsOf(t.table).arrived(performance.now())
    this.maybeFlush(t.table)
    return part.done.promise
  }

  private arrivalsOf(table: string): ArrivalGaps {
    let a = this.arrivals.get(table)
    if (!a) this.arrivals.set(table, (a = new ArrivalGaps()))
    return a
  }

  /**
   * Group commit: one write at a time per table. A buffer is written when it is
   * full, or when no write is running for its table and either its oldest row
   * has waited flushIntervalMs or its rows have stopped coming (the senders
   * are waiting for their answers, see arrivals.ts); rows arriving during a
   * write join the next one. So batches grow with the load, a steady trickle is
   * written in few inserts, and senders waiting on us are answered promptly.
   */
  private maybeFlush(table: string): void {
    const p = this.pending.get(table)
    if (!p || this.writing.has(table)) return
    const full = p.rows >= this.config.batchMaxRows || p.bytes >= this.config.batchMaxBytes
    const ageWaitMs = p.since + this.config.flushIntervalMs - Date.now()
    const waitMs = Math.min(ageWaitMs, this.arrivalsOf(table).untilQuietMs(performance.now()))
    if (full || waitMs <= 0 || this.closed) {
      this.flushTable(table, full ? 'full' : this.closed ? 'shutdown' : ageWaitMs <= 0 ? 'interval' : 'quiet')
      return
    }
    // Arrivals can bring the quiet moment forward: the timer follows the earliest deadline.
    const at = performance.now() + waitMs
    if (p.timer && at >= p.timerAt - 1) return
    clearTimeout(p.timer)
    p.timerAt = at
    p.timer = setTimeout(() => {
      p.timer = undefined
      p.timerAt = Infinity
      this.maybeFlush(table)
    }, Math.ceil(waitMs))
  }

  /** Starts writing a table's buffer now; the next one starts when this write ends. */
  private flushTable(table: string, trigger: FlushTrigger): Promise<void> {
    const p = this.pending.get(table)
    const running = this.writing.get(table)
    if (running) return running.then(() => this.flushTable(table, trigger))
    if (!p) return Promise.resolve()
    this.pending.delete(table)
    this.observer?.flushStarted?.(table, trigger)
    if (p.timer) clearTimeout(p.timer)
    const run = this.writeBatch(table, p).finally(() => {
      this.writing.delete(table)
      this.maybeFlush(table)
    })
    this.writing.set(table, run)
    return run
  }

  private async writeBatch(table: string, p: Pending): Promise<void> {
    const writes: Promise<void>[] = []
    try {
      await this.isolate(table, p.parts, writes)
    } catch (err) {
      // Storage failed, not the rows: every request not yet answered gets 503, and so does new data for a while.
      this.lastError = (err as Error).message.split('\n')[0] ?? 'write failed'
      this.unavailableUntil = Date.now() + this.config.retryAfterSeconds * 1000
      const failed = new WriteFailedError(`writing to ${table} failed: ${this.lastError}`, this.config.retryAfterSeconds, { cause: err })
      for (const part of p.parts) settle(part, failed)
    }
    // The memory is held until every storage call settles, even past a timeout.
    await Promise.allSettled(writes)
    this.queuedRows -= p.rows
    this.queuedBytes -= p.bytes
    this.observer?.queueChanged(this.queuedRows, this.queuedBytes)
  }

  /**
   * Writes `parts` in one insert; when ClickHouse refuses the rows themselves
   * (StorageBadDataError), writes each half again on its own, down to single
   * requests, whose refusal is theirs alone. So one request with bad rows costs
   * its batch about 2·log2(requests) more inserts, and the others are written.
   * Halves are safe to write again: a refused insert wrote nothing (a batch is
   * one insert block, see docs/collector.md). Any other failure is storage's and
   * is thrown to writeBatch, which fails the parts not yet answered.
   */
  private async isolate(table: string, parts: Part[], writes: Promise<void>[]): Promise<void> {
    const rows = parts.reduce((n, part) => n + part.rows, 0)
    const bytes = parts.reduce((n, part) => n + part.bytes.length, 0)
    const payload = parts.length === 1 ? parts[0]!.bytes : Buffer.concat(parts.map((part) => part.bytes), bytes)
    const started = performance.now()
    try {
      await this.timedWrite(table, payload, rows, writes)
      this.observer?.flushed(table, rows, bytes, (performance.now() - started) / 1000, true)
      for (const part of parts) settle(part)
      return
    } catch (err) {
      this.observer?.flushed(table, rows, bytes, (performance.now() - started) / 1000, false)
      if (!(err instanceof StorageBadDataError)) throw err
      if (parts.length === 1) {
        this.observer?.refused?.(table, rows)
        settle(parts[0]!, new RowsRefusedError(`ClickHouse refused the rows for ${table}: ${err.message.split('\n')[0]}`, table, { cause: err }))
        return
      }
    }
    const half = Math.ceil(parts.length / 2)
    await this.isolate(table, parts.slice(0, half), writes)
    await this.isolate(table, parts.slice(half), writes)
  }

  /** One storage write, failed after writeTimeoutMs (the call itself is kept in `writes` until it settles). */
  private async timedWrite(table: string, payload: Buffer, rows: number, writes: Promise<void>[]): Promise<void> {
    const write = this.write(table, payload, rows)
    writes.push(write.catch(() => undefined))
    let timer: NodeJS.Timeout | undefined
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`write to ${table} did not finish within ${this.config.writeTimeoutMs} ms`)), this.config.writeTimeoutMs)
    })
    try {
      await Promise.race([write, timeout])
    } finally {
      clearTimeout(timer)
    }
  }

  /** Writes every buffer now and waits until nothing is buffered or being written. */
  async flushAll(): Promise<void> {
    while (this.pending.size > 0 || this.writing.size > 0) {
      const tables = new Set([...this.pending.keys(), ...this.writing.keys()])
      await Promise.all([...tables].map((t) => this.flushTable(t, 'shutdown').catch(() => undefined)))
    }
  }

  /** Refuses new data, then flushes and waits. */
  async close(): Promise<void> {
    this.closed = true
    await this.flushAll()
  }
}
