// POST /api/v1/write: Prometheus remote_write 1.0. 204 once the samples are
// written; 400 with cairn's JSON error (api/error-body.ts) for a body that is not a snappy
// WriteRequest; 503 with Retry-After when the queue is full or storage is down
// (503, not 429: Prometheus retries 5xx always but 429 only when configured to,
// and would otherwise drop the samples).

import type { IncomingMessage, ServerResponse } from 'node:http'
import { uncompress } from 'snappy'
import { errorJson } from '../../api/index.ts'
import { authorizeRequest } from '../auth.ts'
import { HttpError, mediaType, readBody } from '../http/body.ts'
import { type Route } from '../http/server.ts'
import { ProtoReader, DecodeError } from '../otlp/proto-reader.ts'
import { timeBoundsFor, storeCounted, type ReceiverDeps } from '../otlp/receiver.ts'
import { MetadataCache, mapWriteRequest } from './mapping.ts'

const labels = { signal: 'metrics', protocol: 'prometheus_remote_write' } as const

async function unsnappy(body: Buffer, maxBytes: number): Promise<Buffer> {
  // The block format starts with the uncompressed length: refuse oversize before inflating.
  let declared: number
  try {
    declared = new ProtoReader(body).varint32()
  } catch {
    throw new HttpError(400, 'the body is not snappy-compressed (block format)')
  }
  if (declared > maxBytes) throw new HttpError(413, `the decompressed body would be ${declared} bytes, over the limit of ${maxBytes} (collector.maxBodyBytes)`)
  try {
    return (await uncompress(body, { asBuffer: true })) as Buffer
  } catch (err) {
    throw new HttpError(400, `the body is not valid snappy (block format): ${(err as Error).message}`)
  }
}

export function remoteWriteRoute(deps: ReceiverDeps): Route {
  const cache = new MetadataCache()
  const handler = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    let status = 204
    try {
      authorizeRequest(deps.authorize, req)
      const type = mediaType(req)
      if (type !== 'application/x-protobuf' && type !== '') throw new HttpError(415, `unsupported Content-Type "${type}"; remote_write sends application/x-protobuf`)
      const encoding = (req.headers['content-encoding'] ?? '').toLowerCase()
      if (encoding !== 'snappy') throw new HttpError(415, `unsupported Content-Encoding "${encoding}"; remote_write bodies are snappy-compressed`)
      const raw = await readBody(req, deps.maxBodyBytes, 'identity')
      deps.metrics.bytesIn.inc(labels, raw.length)
      const body = await unsnappy(raw, deps.maxBodyBytes)
      let decoded
      try {
        decoded = mapWriteRequest(body, cache, timeBoundsFor(deps, 'metrics'))
      } catch (err) {
        if (err instanceof DecodeError) throw new HttpError(400, `cannot decode the WriteRequest: ${err.message}`)
        throw err
      }
      try {
        await storeCounted(deps, labels, decoded)
      } catch (err) {
        // Prometheus retries 5xx always, 429 only when configured to: a full queue is 503 here.
        if (err instanceof HttpError && err.status === 429) throw new HttpError(503, err.message, err.headers)
        throw err
      }
      res.writeHead(204)
      res.end()
    } catch (err) {
      status = err instanceof HttpError ? err.status : 500
      throw err
    } finally {
      deps.metrics.requests.inc({ ...labels, status: String(status) })
    }
  }
  return {
    handler,
    renderError: (_req, err) => ({ contentType: 'application/json', body: errorJson(err.status, err.message) }),
  }
}


