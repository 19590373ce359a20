// remote_write decoding: the snappy block's declared length is checked and
// held in the body budget first; a large request is then uncompressed and
// mapped in a parse worker (snappy's output cannot be moved between threads,
// only copied, so it is made where it is used). Series types come from the
// metadata Prometheus sent in earlier requests, which the main thread's cache
// holds: each task carries its snapshot (a worker rebuilds its copy only when
// the version changed) and hands back the metadata its request carried.

import { uncompress, uncompressSync } from 'snappy'
import { BudgetExhaustedError, type Isolation, type Reservation } from '../../isolation/index.ts'
import { HttpError, budgetRefusal, joinParts, type Body } from '../http/body.ts'
import type { TimeBounds } from '../otlp/decoded.ts'
import { offloaded, pack, type DecodedRows } from '../otlp/offload.ts'
import { ProtoReader } from '../otlp/proto-reader.ts'
import { DecodeError, scanWriteRequest, type Metadata } from './decode.ts'
import { MetadataCache, mapWriteRequest, type MetadataSnapshot } from './mapping.ts'

/** The module a parse worker loads to decode remote_write bodies. */
export const REMOTE_WRITE_TASK_MODULE = import.meta.url

export interface RemoteWriteContext {
  cache: MetadataCache
  /** Item times accepted (retention, future skew). */
  bounds: TimeBounds | undefined
  /** collector.maxBodyBytes, for the uncompressed body too */
  maxBytes: number
  /** The request's share of the body budget. */
  reservation: Reservation
}

/** The uncompressed length a snappy block declares (its first varint), refused over the limit before inflating, and held in the budget. */
function declaredLength(wire: Buffer, maxBytes: number, reservation: Reservation): number {
  let declared: number
  try {
    declared = new ProtoReader(wire).varint32()
  } catch {
    throw new HttpError(400, 'the body is not snappy-compressed (block format)')
  }
  if (declared > maxBytes) throw new HttpError(413, `the decompressed body would be ${declared} bytes, over the limit of ${maxBytes} (collector.maxBodyBytes)`)
  try {
    reservation.growTo(wire.length + declared)
  } catch (err) {
    throw err instanceof BudgetExhaustedError ? budgetRefusal(err) : err
  }
  return declared
}

const notSnappy = (err: unknown) => new HttpError(400, `the body is not valid snappy (block format): ${(err as Error).message}`)

/** Maps a body; a body that is not a WriteRequest is 400. */
function mapBody(body: Buffer, cache: MetadataCache, bounds: TimeBounds | undefined): DecodedRows {
  try {
    return mapWriteRequest(body, cache, bounds)
  } catch (err) {
    if (err instanceof DecodeError || err instanceof RangeError) throw new HttpError(400, `cannot decode the WriteRequest: ${err.message}`)
    throw err
  }
}

/** This worker's copy of the main thread's metadata, by version. */
let workerCache: { version: number; cache: MetadataCache } | undefined

/** Task run in a worker: uncompress and map a WriteRequest; the metadata it carried goes back to the main thread's cache. */
export function decodeRemoteWriteTask(input: { parts: ArrayBuffer[]; metadata: MetadataSnapshot; bounds?: TimeBounds }) {
  if (workerCache?.version !== input.metadata.version) {
    const cache = new MetadataCache()
    for (const m of input.metadata.entries) cache.remember(m)
    workerCache = { version: input.metadata.version, cache }
  }
  let body: Buffer
  try {
    body = uncompressSync(joinParts(input.parts), { asBuffer: true }) as Buffer
  } catch (err) {
    throw notSnappy(err)
  }
  const { value, transfer } = pack(mapBody(body, workerCache.cache, input.bounds))
  return { value: { ...value, metadata: scanWriteRequest(body).metadata }, transfer }
}

/** Decodes a snappy WriteRequest, in a worker when it is large. */
export async function decodeRemoteWrite(isolation: Isolation, wire: Body, ctx: RemoteWriteContext): Promise<DecodedRows> {
  const size = declaredLength(wire.whole(), ctx.maxBytes, ctx.reservation)
  const inline = async (compressed: Buffer) => {
    const body = (await uncompress(compressed, { asBuffer: true }).catch((err: unknown) => Promise.reject(notSnappy(err)))) as Buffer
    return mapBody(body, ctx.cache, ctx.bounds)
  }
  const task = { module: REMOTE_WRITE_TASK_MODULE, fn: 'decodeRemoteWriteTask', input: { metadata: ctx.cache.snapshot(), bounds: ctx.bounds }, size }
  const decoded = await offloaded<DecodedRows & { metadata?: Metadata[] }>(isolation, wire, inline, task)
  for (const m of decoded.metadata ?? []) ctx.cache.remember(m)
  return decoded
}
