import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { SELF_TELEMETRY_HEADER, traceServerRequest, type Logger, type Tracer } from '../../instrumentation/index.ts'
import { errorJson } from '../../api/index.ts'
import { HttpError } from './body.ts'

/** Answers one request; throws HttpError for a refusal it wants rendered by `renderError`. */
export type Handler = (req: IncomingMessage, res: ServerResponse) => Promise<void>

export interface Route {
  handler: Handler
  /** Renders an error in the route's own format (OTLP Status, plain text…). */
  renderError(req: IncomingMessage, err: HttpError): { contentType: string; body: Buffer }
}

export function send(res: ServerResponse, status: number, contentType: string, body: Buffer, headers: Record<string, string> = {}): void {
  if (res.headersSent) return
  res.writeHead(status, { 'content-type': contentType, 'content-length': String(body.length), ...headers })
  res.end(body)
}

/** An answer outside OTLP, in the one JSON error shape cairn uses everywhere (api/error-body.ts). */
export function sendJsonError(res: ServerResponse, status: number, message: string, headers: Record<string, string> = {}): void {
  send(res, status, 'application/json', errorJson(status, message), headers)
}

function headerValue(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name]
  return Array.isArray(value) ? value.join(',') : value
}

/** The receivers' HTTP server: POST routes by path, errors rendered per route, never a crash. */
export class ReceiverServer {
  private server: Server | undefined

  constructor(
    private readonly routes: ReadonlyMap<string, Route>,
    private readonly logger: Logger,
    private readonly tracer: Tracer,
  ) {}

  async listen(port: number, host: string): Promise<number> {
    const server = createServer((req, res) => void this.dispatch(req, res))
    server.keepAliveTimeout = 65_000
    this.server = server
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject)
      server.listen(port, host, () => {
        server.off('error', reject)
        resolve()
      })
    })
    return (server.address() as AddressInfo).port
  }

  private dispatch(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? '/').split('?')[0]!
    // cairn's own trace exports are not traced: a span for each would be exported in turn, a loop.
    if (req.headers[SELF_TELEMETRY_HEADER] !== undefined) return this.answer(req, res, path)
    const request = { method: req.method ?? 'GET', path, header: (name: string) => headerValue(req, name) }
    return traceServerRequest(this.tracer, 'collector', request, () => this.answer(req, res, path), () => ({
      status: res.statusCode,
      route: this.routes.has(path) ? path : undefined,
    }))
  }

  private async answer(req: IncomingMessage, res: ServerResponse, path: string): Promise<void> {
    const route = this.routes.get(path)
    if (!route) {
      req.resume()
      return sendJsonError(res, 404, `no receiver at ${path}; OTLP/HTTP uses /v1/traces, /v1/metrics, /v1/logs and remote_write /api/v1/write`)
    }
    if (req.method !== 'POST') {
      req.resume()
      return sendJsonError(res, 405, `${req.method} is not allowed on ${path}; use POST`, { allow: 'POST' })
    }
    try {
      await route.handler(req, res)
    } catch (err) {
      const httpErr = err instanceof HttpError ? err : new HttpError(500, 'internal error while handling the request')
      if (!(err instanceof HttpError)) this.logger.error({ err, path }, 'receiver failed')
      if (!req.readableEnded) req.resume()
      const { contentType, body } = route.renderError(req, httpErr)
      send(res, httpErr.status, contentType, body, httpErr.headers)
    }
  }

  /** Stops accepting connections; resolves when open ones have finished (or are cut after `graceMs`). */
  async close(graceMs: number): Promise<void> {
    const server = this.server
    if (!server) return
    const closed = new Promise<void>((resolve) => server.close(() => resolve()))
    // Keep-alive connections turn idle as their last responses go out (after the final flush).
    const idle = setInterval(() => server.closeIdleConnections(), 20)
    const timer = setTimeout(() => server.closeAllConnections(), graceMs)
    server.closeIdleConnections()
    await closed
    clearInterval(idle)
    clearTimeout(timer)
  }
}
