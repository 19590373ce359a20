// The OTLP/HTTP receiver for one signal: content negotiation, auth, body limits,
// decoding, then the batching writer; the response is sent only after the rows
// are written (or the write failed).

import type { IncomingMessage, ServerResponse } from 'node:http'
import type { Batcher, TableRows } from '../batcher.ts'
import { BackpressureError, WriteFailedError } from '../batcher.ts'
import type { Isolation, Reservation } from '../../isolation/index.ts'
import { HttpError, contentEncoding, mediaType, readBody, type Body, type BodyLimits } from '../http/body.ts'
import { send, type Route } from '../http/server.ts'
import type { CollectorMetrics, Protocol } from '../metrics.ts'
import { authorizeRequest, type Authorize } from '../auth.ts'
import { retentionFrom, type Retention } from './decoded.ts'
import { decodeOtlp, type DecodedRows } from './offload.ts'
import { exportResponse, statusResponse, type Encoding, type Signal } from './response.ts'

/** Days each signal's table keeps its rows (storage.ttlDays; 0 = forever). */
export interface RetentionDays {
  traces: number
  logs: number
  metrics: number
}

export interface ReceiverDeps {
  batcher: Batcher
  metrics: CollectorMetrics
  body: BodyLimits
  /** The process's body budget and parse workers, shared with the API. */
  isolation: Isolation
  authorize: Authorize | undefined
  retentionDays: RetentionDays | undefined
}

const CONTENT_TYPES: Record<Encoding, string> = { protobuf: 'application/x-protobuf', json: 'application/json' }

function requestEncoding(req: IncomingMessage): Encoding | undefined {
  const type = mediaType(req)
  if (type === 'application/x-protobuf') return 'protobuf'
  if (type === 'application/json') return 'json'
  return undefined
}

const PROTOCOL: Record<Encoding, Protocol> = { protobuf: 'otlp_protobuf', json: 'otlp_json' }

/** The retention of a signal as of now, when its table has one. */
export function retentionFor(deps: ReceiverDeps, signal: Signal): Retention | undefined {
  return deps.retentionDays ? retentionFrom(deps.retentionDays[signal]) : undefined
}

export function tableRows(decoded: DecodedRows): TableRows[] {
  return [...decoded.tables].map(([table, rows]) => ({ table, rows: rows.rows, bytes: rows.view() }))
}

/** Counts a decoded request, stores it and counts the outcome; refusals and failed writes become 429/503 with Retry-After. */
export async function storeCounted(deps: ReceiverDeps, labels: { signal: string; protocol: Protocol }, decoded: DecodedRows): Promise<void> {
  deps.metrics.received.inc(labels, decoded.accepted + decoded.rejected)
  if (decoded.rejected > 0) deps.metrics.rejected.inc({ ...labels, reason: 'invalid' }, decoded.rejected)
  try {
    await store(deps.batcher, tableRows(decoded))
  } catch (err) {
    deps.metrics.rejected.inc({ ...labels, reason: err instanceof HttpError && err.status === 429 ? 'queue_full' : 'storage_unavailable' }, decoded.accepted)
    throw err
  }
  deps.metrics.accepted.inc(labels, decoded.accepted)
}

/** Waits for the batcher; maps refusals and failed writes to 429/503 with Retry-After. */
export async function store(batcher: Batcher, rows: TableRows[]): Promise<void> {
  try {
    await batcher.submit(rows)
  } catch (err) {
    if (err instanceof BackpressureError) throw new HttpError(err.status, err.message, { 'retry-after': String(err.retryAfterSeconds) })
    if (err instanceof WriteFailedError) throw new HttpError(503, err.message, { 'retry-after': String(err.retryAfterSeconds) })
    throw err
  }
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
        return decodeOtlp(deps.isolation, signal, encoding, body, retentionFor(deps, signal))
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
