// The OTLP/HTTP receiver for one signal: content negotiation, auth, body limits,
// decoding, then the batching writer; the response is sent only after the rows
// are written (or the write failed).

import type { IncomingMessage, ServerResponse } from 'node:http'
import type { RowSink, TableRows } from '../batcher.ts'
import { BackpressureError, RowsRefusedError, WriteFailedError } from '../batcher.ts'
import type { Isolation, Reservation } from '../../isolation/index.ts'
import { HttpError, contentEncoding, mediaType, readBody, type Body, type BodyLimits } from '../http/body.ts'
import { send, type Route } from '../http/server.ts'
import type { CollectorMetrics, Protocol } from '../metrics.ts'
import { authorizeRequest, type Authorize } from '../auth.ts'
import { timeBounds, type DecodeOptions, type TimeBounds } from './decoded.ts'
import type { AttributeLimits, LimitKind } from './limits.ts'
import { decodeOtlp, type DecodedRows } from './offload.ts'
import { exportResponse, statusResponse, type Encoding, type Signal } from './response.ts'

/** Days each signal's table keeps its rows (storage.ttlDays; 0 = forever). */
export interface RetentionDays {
  traces: number
  logs: number
  metrics: number
}

export interface ReceiverDeps {
  batcher: RowSink
  metrics: CollectorMetrics
  body: BodyLimits
  /** The process's body budget and parse workers, shared with the API. */
  isolation: Isolation
  authorize: Authorize | undefined
  retentionDays: RetentionDays | undefined
  /** Items dated further ahead of now are refused (0: none are). */
  maxFutureSkewSeconds: number
  /** Limits on attributes and log bodies: beyond them items are cut, counted, and the sender warned. */
  limits: AttributeLimits
}

const CONTENT_TYPES: Record<Encoding, string> = { protobuf: 'application/x-protobuf', json: 'application/json' }

function requestEncoding(req: IncomingMessage): Encoding | undefined {
  const type = mediaType(req)
  if (type === 'application/x-protobuf') return 'protobuf'
  if (type === 'application/json') return 'json'
  return undefined
}

const PROTOCOL: Record<Encoding, Protocol> = { protobuf: 'otlp_protobuf', json: 'otlp_json' }

/** The item times a signal's table accepts as of now: its retention, and the future skew. */
export function timeBoundsFor(deps: ReceiverDeps, signal: Signal): TimeBounds | undefined {
  return timeBounds(deps.retentionDays?.[signal] ?? 0, deps.maxFutureSkewSeconds)
}

/** How a signal's requests are decoded as of now: item times accepted and the attribute limits. */
function decodeOptionsFor(deps: ReceiverDeps, signal: Signal): DecodeOptions {
  return { bounds: timeBoundsFor(deps, signal), limits: deps.limits }
}

export function tableRows(decoded: DecodedRows): TableRows[] {
  return [...decoded.tables].map(([table, rows]) => ({ table, rows: rows.rows, bytes: rows.view(), days: decoded.days }))
}

/** Why a stored request's items were not stored, by the HTTP status it got. */
function rejectedReason(err: unknown): string {
  const status = err instanceof HttpError ? err.status : 500
  return status === 429 ? 'queue_full' : status === 400 ? 'refused_by_storage' : 'storage_unavailable'
}

/** Counts a decoded request, stores it and counts the outcome; refusals and failed writes become 429/503 with Retry-After, refused rows 400. */
export async function storeCounted(deps: ReceiverDeps, labels: { signal: string; protocol: Protocol }, decoded: DecodedRows): Promise<void> {
  deps.metrics.received.inc(labels, decoded.accepted + decoded.rejected)
  if (decoded.rejected > 0) deps.metrics.rejected.inc({ ...labels, reason: 'invalid' }, decoded.rejected)
  const cut = decoded.truncated
  if (cut) for (const what of Object.keys(cut) as LimitKind[]) if (cut[what] > 0) deps.metrics.truncated.inc({ ...labels, what }, cut[what])
  try {
    await store(deps.batcher, tableRows(decoded))
  } catch (err) {
    deps.metrics.rejected.inc({ ...labels, reason: rejectedReason(err) }, decoded.accepted)
    throw err
  }
  deps.metrics.accepted.inc(labels, decoded.accepted)
}

/**
 * Waits for the batcher; maps refusals and failed writes to 429/503 with
 * Retry-After, and rows ClickHouse refused to 400 (retrying them cannot help).
 * Every table's outcome is awaited first, so the answer says which were stored.
 */
export async function store(batcher: RowSink, rows: TableRows[]): Promise<void> {
  let outcomes: PromiseSettledResult<void>[]
  try {
    outcomes = await Promise.allSettled(batcher.submitPerTable(rows))
  } catch (err) {
    if (err instanceof BackpressureError) throw new HttpError(err.status, err.message, { 'retry-after': String(err.retryAfterSeconds) })
    throw err
  }
  const errors = outcomes.flatMap((o) => (o.status === 'rejected' ? [o.reason as unknown] : []))
  const failed = errors.find((e) => e instanceof WriteFailedError)
  if (failed) throw new HttpError(503, failed.message, { 'retry-after': String(failed.retryAfterSeconds) })
  const refused = errors.filter((e): e is RowsRefusedError => e instanceof RowsRefusedError)
  if (refused.length > 0) {
    const stored = rows.filter((t) => t.rows > 0 && !refused.some((r) => r.table === t.table)).map((t) => t.table)
    const also = stored.length > 0 ? ` (the rows for ${stored.join(', ')} were stored)` : ''
    throw new HttpError(400, `${refused.map((r) => r.message).join('; ')}${also}`)
  }
  if (errors.length > 0) throw errors[0]
}

/**
 * Reads a body within the limits and the process's budget, and hands it to
 * `use`; the body's bytes stay reserved until `use` has decoded it.
 */
export async function withBody<T>(deps: ReceiverDeps, req: IncomingMessage, encoding: 'gzip' | 'identity', use: (body: Body, reservation: Reservation) => Promise<T>): Promise<T> {
  const reservation = deps.isolation.budget.reserve()
  try {
    return await use(await readBody(req, deps.body, encoding, reservation), reservation)
  } finally {
    reservation.release()
  }
}

export function otlpRoute(signal: Signal, deps: ReceiverDeps): Route {
  const handler = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    authorizeRequest(deps.authorize, req)
    const encoding = requestEncoding(req)
    if (!encoding) {
      throw new HttpError(415, `unsupported Content-Type "${req.headers['content-type'] ?? ''}"; send application/x-protobuf or application/json`)
    }
    const protocol = PROTOCOL[encoding]
    const labels = { signal, protocol }
    let status = 200
    try {
      const decoded = await withBody(deps, req, contentEncoding(req), (body) => {
        deps.metrics.bytesIn.inc(labels, Number(req.headers['content-length'] ?? body.length) || body.length)
        return decodeOtlp(deps.isolation, signal, encoding, body, decodeOptionsFor(deps, signal))
      })
      await storeCounted(deps, labels, decoded)
      send(res, 200, CONTENT_TYPES[encoding], exportResponse(signal, encoding, decoded.rejected, decoded.errorMessage))
    } catch (err) {
      status = err instanceof HttpError ? err.status : 500
      throw err
    } finally {
      deps.metrics.requests.inc({ ...labels, status: String(status) })
    }
  }
  return {
    handler,
    renderError(req, err) {
      const encoding = requestEncoding(req) ?? 'json'
      return { contentType: CONTENT_TYPES[encoding], body: statusResponse(err.status, encoding, err.message) }
    },
  }
}
