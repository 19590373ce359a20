import type { MiddlewareHandler } from 'hono'
import { matchedRoutes } from 'hono/route'
import { traceServerRequest, type Tracer } from '../instrumentation/index.ts'

/** One span per request (a no-op unless self-tracing is on), named by method and matched route. */
export function requestTracing(tracer: Tracer): MiddlewareHandler {
  return (c, next) =>
    traceServerRequest(tracer, 'api', { method: c.req.method, path: c.req.path, header: (name) => c.req.header(name) }, next, () => {
      // The route that answered: the last handler run. A middleware's `/*` is no route (a 404 has none).
      const route = matchedRoutes(c)[c.req.routeIndex]
      const isHandler = route !== undefined && !(route.method === 'ALL' && route.path.endsWith('*'))
      return { status: c.res.status, route: isHandler ? route.path : undefined }
    })
}
