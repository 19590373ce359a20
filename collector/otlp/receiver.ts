// The OTLP/HTTP receiver for one signal: content negotiation, auth, body limits,
// decoding, then the batching writer; the response is sent only after the rows
// are written (or the write failed).

import type { IncomingMessage, ServerResponse } from 'node:http'
import type { Batcher, TableRows } from '../batcher.ts'
import { BackpressureError, RowsRefusedError, WriteFailedError } from '../batcher.ts'
import { HttpError, contentEncoding, mediaType, readBody } from '../http/body.ts'
import { send, type Route } from '../http/server.ts'
import type { CollectorMetrics, Protocol } from '../metrics.ts'
import { authorizeRequest, type Authorize } from '../auth.ts'
import { timeBounds, type Decoded, type DecodeOptions, type TimeBounds } from './decoded.ts'
import type { AttributeLimits, LimitKind } from './limits.ts'
import { DecodeError } from './proto-reader.ts'
import { exportResponse, statusResponse, type Encoding, type Signal } from './response.ts'

export interface OtlpDecoders {
  protobuf(body: Buffer, options?: DecodeOptions): Decoded
  json(doc: unknown, options?: DecodeOptions): Decoded
}

/** Days each signal's table keeps its rows (storage.ttlDays; 0 = forever). */
export interface RetentionDays {
  traces: number
  logs: number
  metrics: number
}

export interface ReceiverDeps {
  batcher: Batcher
  metrics: CollectorMetrics
  maxBodyBytes: number
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

/** Decodes a body in the given encoding; undecodable bodies are 400. */
function decode(decoders: OtlpDecoders, encoding: Encoding, body: Buffer, options: DecodeOptions): Decoded {
  try {
    if (encoding === 'protobuf') return decoders.protobuf(body, options)
    let doc: unknown
    try {
      doc = JSON.parse(body.toString('utf8'))
    } catch (err) {
      throw new DecodeError(body.length === 0 ? 'the body is empty' : `invalid JSON: ${(err as Error).message}`)
    }
    return decoders.json(doc, options)
  } catch (err) {
    if (err instanceof DecodeError) throw new HttpError(400, `cannot decode the ${encoding === 'json' ? 'OTLP/JSON' : 'OTLP protobuf'} body: ${err.message}`)
    if (err instanceof RangeError) throw new HttpError(400, `cannot decode the body: ${err.message}`)
    throw err
  }
}

/** The item times a signal's table accepts as of now: its retention, and the future skew. */
export function timeBoundsFor(deps: ReceiverDeps, signal: Signal): TimeBounds | undefined {
  return timeBounds(deps.retentionDays?.[signal] ?? 0, deps.maxFutureSkewSeconds)
}

export function tableRows(decoded: Decoded): TableRows[] {
  return [...decoded.tables].map(([table, rows]) => ({ table, rows: rows.rows, bytes: rows.view() }))
}

/** Why a stored request's items were not stored, by the HTTP status it got. */
function rejectedReason(err: unknown): string {
  const status = err instanceof HttpError ? err.status : 500
  return status === 429 ? 'queue_full' : status === 400 ? 'refused_by_storage' : 'storage_unavailable'
}

/** Counts a decoded request, stores it and counts the outcome; refusals and failed writes become 429/503 with Retry-After, refused rows 400. */
export async function storeCounted(deps: ReceiverDeps, labels: { signal: string; protocol: Protocol }, decoded: Decoded): Promise<void> {
  deps.metrics.received.inc(labels, decoded.accepted + decoded.rejected)
  if (decoded.rejected > 0) deps.metrics.rejected.inc({ ...labels, reason: 'invalid' }, decoded.rejected)
  const cut = decoded.limiter?.counts
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
export async function store(batcher: Batcher, rows: TableRows[]): Promise<void> {
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

export function otlpRoute(signal: Signal, decoders: OtlpDecoders, deps: ReceiverDeps): Route {
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
      const body = await readBody(req, deps.maxBodyBytes, contentEncoding(req))
      deps.metrics.bytesIn.inc(labels, Number(req.headers['content-length'] ?? body.length) || body.length)
      const decoded = decode(decoders, encoding, body, { bounds: timeBoundsFor(deps, signal), limits: deps.limits })
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
