import type { IncomingMessage } from 'node:http'
import { createGunzip, type Gunzip } from 'node:zlib'
import { BudgetExhaustedError, ownArrayBuffer, type Reservation } from '../../isolation/index.ts'

/** A request the receiver answers with an HTTP error before decoding. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message)
    this.name = 'HttpError'
  }
}

export interface BodyLimits {
  /** Bytes on the wire, and again decompressed (collector.maxBodyBytes). */
  maxBytes: number
  /** The whole body must have arrived within this (collector.bodyTimeoutMs). */
  timeoutMs: number
}

/** The budget is spent: 429 with Retry-After, and the connection closed rather than the body read. */
export function budgetRefusal(err: BudgetExhaustedError): HttpError {
  return new HttpError(429, err.message, { 'retry-after': String(err.retryAfterSeconds), connection: 'close' })
}

/**
 * Reads the whole body into memory, holding its bytes in `reservation` (the
 * process's body budget) before reading them: the declared length first, then
 * every chunk read and every chunk gzip inflates. Refuses more than
 * `maxBytes` on the wire or decompressed (413), a spent budget (429), bad gzip
 * (400) and a body that has not fully arrived within `timeoutMs` (408). gzip is
 * undone as the body streams in, so a bomb is stopped at the limit, not after.
 */
export function readBody(req: IncomingMessage, limits: BodyLimits, encoding: 'gzip' | 'identity', reservation: Reservation): Promise<Body> {
  const declared = Number(req.headers['content-length'])
  if (Number.isFinite(declared) && declared > limits.maxBytes) return Promise.reject(tooLarge(limits.maxBytes))
  try {
    if (Number.isFinite(declared)) reservation.growTo(declared)
  } catch (err) {
    return Promise.reject(err instanceof BudgetExhaustedError ? budgetRefusal(err) : err)
  }
  return new BodyReader(req, limits, encoding, reservation, Number.isFinite(declared) ? declared : undefined).read()
}

/**
 * A body as read: one buffer, or the pieces gzip inflated (each its own
 * memory), so that a large body can move to a parse worker without the main
 * thread copying 60 MiB into one piece first: copies of that size take
 * 100 ms and more on a busy machine.
 */
export class Body {
  constructor(
    private readonly parts: Buffer[],
    readonly length: number,
  ) {}

  /** The body in one buffer (joined here when it came in pieces). */
  whole(): Buffer {
    if (this.parts.length !== 1) this.parts.splice(0, this.parts.length, Buffer.concat(this.parts, this.length))
    return this.parts[0] ?? Buffer.alloc(0)
  }

  /** The pieces' memory, to transfer to a worker (a piece sharing memory with others is copied). The body is unusable after. */
  transferables(): ArrayBuffer[] {
    return this.parts.map(ownArrayBuffer)
  }
}

/** Joins what transferables() gave, in a worker. */
export function joinParts(parts: ArrayBuffer[]): Buffer {
  return parts.length === 1 ? Buffer.from(parts[0]!) : Buffer.concat(parts.map((p) => Buffer.from(p)))
}

class BodyReader {
  private readonly chunks: Buffer[] = []
  private wire = 0
  private length = 0
  /** Identity bodies of a declared length are copied into one buffer as they arrive, not at the end. */
  private readonly into: Buffer | undefined
  private readonly gunzip: Gunzip | undefined
  private done = false

  constructor(
    private readonly req: IncomingMessage,
    private readonly limits: BodyLimits,
    encoding: 'gzip' | 'identity',
    private readonly reservation: Reservation,
    declared: number | undefined,
  ) {
    this.gunzip = encoding === 'gzip' ? createGunzip({ chunkSize: 64 * 1024 }) : undefined
    this.into = encoding === 'identity' && declared !== undefined && declared > 0 ? Buffer.allocUnsafeSlow(declared) : undefined
  }

  read(): Promise<Body> {
    return new Promise<Body>((resolve, reject) => {
      const timer = setTimeout(() => fail(new HttpError(408, `the body did not arrive within ${this.limits.timeoutMs} ms (collector.bodyTimeoutMs)`, { connection: 'close' })), this.limits.timeoutMs)
      const fail = (err: Error) => {
        if (this.done) return
        this.done = true
        clearTimeout(timer)
        this.req.pause()
        this.gunzip?.destroy()
        reject(err)
      }
      const finish = () => {
        if (this.done) return
        this.done = true
        clearTimeout(timer)
        if (!this.into) return resolve(new Body(this.chunks, this.length))
        resolve(new Body([this.length === this.into.length ? this.into : this.into.subarray(0, this.length)], this.length))
      }
      const guarded = (step: () => void) => {
        try {
          step()
        } catch (err) {
          fail(err instanceof BudgetExhaustedError ? budgetRefusal(err) : (err as Error))
        }
      }
      const gunzip = this.gunzip
      if (gunzip) {
        gunzip.on('data', (chunk: Buffer) => guarded(() => this.keep(chunk, 'decompressed ')))
        gunzip.on('error', (err) => fail(new HttpError(400, `the body is not valid gzip: ${err.message}`)))
        gunzip.on('end', finish)
      }
      this.req.on('data', (chunk: Buffer) =>
        guarded(() => {
          if (this.done) return
          this.wire += chunk.length
          if (this.wire > this.limits.maxBytes) throw tooLarge(this.limits.maxBytes)
          if (gunzip) {
            this.reservation.growTo(this.wire + this.length)
            gunzip.write(chunk)
          } else this.keep(chunk, '')
        }),
      )
      this.req.on('end', () => {
        // The timeout is the sender's: inflating what has arrived is ours.
        clearTimeout(timer)
        if (gunzip) gunzip.end()
        else finish()
      })
      this.req.on('error', fail)
      this.req.on('aborted', () => fail(new HttpError(400, 'the sender closed the connection before the body was complete')))
    })
  }

  /** Keeps a chunk of the body (decompressed when gzip), within the size limit and the budget. */
  private keep(chunk: Buffer, what: string): void {
    if (this.done) return
    this.length += chunk.length
    if (this.length > this.limits.maxBytes) throw tooLarge(this.limits.maxBytes, what)
    this.reservation.growTo((this.gunzip ? this.wire : 0) + this.length)
    if (!this.into) this.chunks.push(chunk)
    else if (this.length > this.into.length) throw new HttpError(400, `the body is longer than its Content-Length of ${this.into.length} bytes`)
    else chunk.copy(this.into, this.length - chunk.length)
  }
}

function tooLarge(maxBytes: number, what = ''): HttpError {
  return new HttpError(413, `the ${what}body exceeds the limit of ${maxBytes} bytes (collector.maxBodyBytes)`, { connection: 'close' })
}

/** `gzip` or `identity` from Content-Encoding; anything else is 415. */
export function contentEncoding(req: IncomingMessage): 'gzip' | 'identity' {
  const value = (req.headers['content-encoding'] ?? '').trim().toLowerCase()
  if (value === '' || value === 'identity') return 'identity'
  if (value === 'gzip' || value === 'x-gzip') return 'gzip'
  throw new HttpError(415, `unsupported Content-Encoding "${value}"; send gzip or no encoding`)
}

/** The media type without parameters, lowercased. */
export function mediaType(req: IncomingMessage): string {
  return (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase()
}
