// POST /api/v1/write: Prometheus remote_write 1.0. 204 once the samples are
// written; 400 with cairn's JSON error (api/error-body.ts) for a body that is not a snappy
// WriteRequest; 503 with Retry-After when the queue is full or storage is down
// (503, not 429: Prometheus retries 5xx always but 429 only when configured to,
// and would otherwise drop the samples).

import type { IncomingMessage, ServerResponse } from 'node:http'
import { errorJson } from '../../api/index.ts'
import { authorizeRequest } from '../auth.ts'
import { HttpError, mediaType } from '../http/body.ts'
import { type Route } from '../http/server.ts'
import { timeBoundsFor, storeCounted, withBody, type ReceiverDeps } from '../otlp/receiver.ts'
import { decodeRemoteWrite } from './decode-task.ts'
import { MetadataCache } from './mapping.ts'

const labels = { signal: 'metrics', protocol: 'prometheus_remote_write' } as const

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
      const decoded = await withBody(deps, req, 'identity', (raw, reservation) => {
        deps.metrics.bytesIn.inc(labels, raw.length)
        return decodeRemoteWrite(deps.isolation, raw, { cache, bounds: timeBoundsFor(deps, 'metrics'), maxBytes: deps.body.maxBytes, reservation })
      })
      await storeCounted(deps, labels, decoded)
      res.writeHead(204)
      res.end()
    } catch (caught) {
      // Prometheus retries 5xx always, 429 only when configured to: a full queue or a spent body budget is 503 here.
      const err = caught instanceof HttpError && caught.status === 429 ? new HttpError(503, caught.message, caught.headers) : caught
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


