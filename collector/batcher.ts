// The batching writer: per-table buffers flushed by size or age, a bounded
// queue (rows and bytes, buffered plus being written), and acknowledgement only
// after the rows are in ClickHouse. A request's promise resolves once every
// table it touched has been written; it rejects when a write fails (the sender
// gets 503 and retries) or is refused up front when the queue is full (429) or
// storage failed recently (503), so memory stays bounded while storage is slow
// or down.

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
  /** After a failed write, refuse new data for this long (the Retry-After given to senders). */
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

/** The write of a batch holding this request's rows failed or timed out. */
export class WriteFailedError extends Error {
  constructor(
    message: string,
    readonly retryAfterSeconds: number,
    options?: { cause?: unknown },
  ) {
    super(message, options)
    this.name = 'WriteFailedError'
  }
}

export interface TableRows {
  table: string
  rows: number
  bytes: Buffer
}

interface Pending {
  parts: Buffer[]
  rows: number
  bytes: number
  done: Deferred
  timer: NodeJS.Timeout | undefined
  /** When the timer fires (performance.now() ms). */
  timerAt: number
  /** When the first row of this buffer arrived. */
  since: number
}

class Deferred {
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

/** Why a buffer was written: it was full, its rows stopped coming, its oldest row waited flushIntervalMs, or shutdown. */
export type FlushTrigger = 'full' | 'quiet' | 'interval' | 'shutdown'

export interface BatcherObserver {
  queueChanged(rows: number, bytes: number): void
  flushStarted?(table: string, trigger: FlushTrigger): void
  flushed(table: string, rows: number, bytes: number, seconds: number, ok: boolean): void
}

export class Batcher {
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
    const rows = batch.reduce((n, t) => n + t.rows, 0)
    const bytes = batch.reduce((n, t) => n + t.bytes.length, 0)
    if (rows === 0) return Promise.resolve()
    this.admit(rows, bytes)
    const waits: Promise<void>[] = []
    for (const t of batch) if (t.rows > 0) waits.push(this.append(t))
    return Promise.all(waits).then(() => undefined)
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
      p = { parts: [], rows: 0, bytes: 0, done: new Deferred(), timer: undefined, timerAt: Infinity, since: Date.now() }
      this.pending.set(t.table, p)
    }
    // Copy: a request's rows sit in a buffer grown by doubling; the copy is their
    // size, so the queue's byte count is the memory it holds.
    p.parts.push(Buffer.from(t.bytes))
    p.rows += t.rows
    p.bytes += t.bytes.length
    this.arrivalsOf(t.table).arrived(performance.now())
    const done = p.done.promise
    this.maybeFlush(t.table)
    return done
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
    const payload = p.parts.length === 1 ? p.parts[0]! : Buffer.concat(p.parts, p.bytes)
    const started = performance.now()
    const write = this.write(table, payload, p.rows)
    let timer: NodeJS.Timeout | undefined
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`write to ${table} did not finish within ${this.config.writeTimeoutMs} ms`)), this.config.writeTimeoutMs)
    })
    try {
      await Promise.race([write, timeout])
      this.observer?.flushed(table, p.rows, p.bytes, (performance.now() - started) / 1000, true)
      p.done.resolve()
    } catch (err) {
      this.observer?.flushed(table, p.rows, p.bytes, (performance.now() - started) / 1000, false)
      this.lastError = (err as Error).message.split('\n')[0] ?? 'write failed'
      this.unavailableUntil = Date.now() + this.config.retryAfterSeconds * 1000
      p.done.reject(new WriteFailedError(`writing to ${table} failed: ${this.lastError}`, this.config.retryAfterSeconds, { cause: err }))
    } finally {
      clearTimeout(timer)
    }
    // The memory is held until the storage call settles, even past a timeout.
    await write.catch(() => undefined)
    this.queuedRows -= p.rows
    this.queuedBytes -= p.bytes
    this.observer?.queueChanged(this.queuedRows, this.queuedBytes)
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
