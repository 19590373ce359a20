// remote_write decoding for the parse workers: a large WriteRequest is mapped
// off the main thread. Series types come from the metadata Prometheus sent in
// earlier requests, which the main thread's cache holds: each task carries
// its snapshot, and a worker rebuilds its copy only when the version changed.

import type { Isolation } from '../../isolation/index.ts'
import { HttpError } from '../http/body.ts'
import type { Retention } from '../otlp/decoded.ts'
import { offloaded, pack, type DecodedRows } from '../otlp/offload.ts'
import { DecodeError, scanWriteRequest } from './decode.ts'
import { MetadataCache, mapWriteRequest, type MetadataSnapshot } from './mapping.ts'

/** Maps a body; a body that is not a WriteRequest is 400. */
function mapBody(body: Buffer, cache: MetadataCache, retention: Retention | undefined): DecodedRows {
  try {
    return mapWriteRequest(body, cache, retention)
  } catch (err) {
    if (err instanceof DecodeError || err instanceof RangeError) throw new HttpError(400, `cannot decode the WriteRequest: ${err.message}`)
    throw err
  }
}

/** This worker's copy of the main thread's metadata, by version. */
let workerCache: { version: number; cache: MetadataCache } | undefined

export function decodeRemoteWriteTask(input: { body: ArrayBuffer; metadata: MetadataSnapshot; retention?: Retention }) {
  if (workerCache?.version !== input.metadata.version) {
    const cache = new MetadataCache()
    for (const m of input.metadata.entries) cache.remember(m)
    workerCache = { version: input.metadata.version, cache }
  }
  return pack(mapBody(Buffer.from(input.body), workerCache.cache, input.retention))
}

/** Decodes a WriteRequest, in a worker when it is large; the metadata it carries is remembered here first. */
export function decodeRemoteWrite(isolation: Isolation, body: Buffer, cache: MetadataCache, retention: Retention | undefined): Promise<DecodedRows> {
  if (body.length < isolation.offloadBytes) return Promise.resolve(mapBody(body, cache, retention))
  try {
    for (const m of scanWriteRequest(body).metadata) cache.remember(m)
  } catch (err) {
    if (err instanceof DecodeError || err instanceof RangeError) return Promise.reject(new HttpError(400, `cannot decode the WriteRequest: ${err.message}`))
    throw err
  }
  const metadata = cache.snapshot()
  return offloaded(isolation, body, () => mapBody(body, cache, retention), import.meta.url, 'decodeRemoteWriteTask', { metadata, retention })
}
