import type { MiddlewareHandler } from 'hono'
import { tracer, withSpan } from '../instrumentation/index.ts'

const t = tracer('api')

/** One span per request (a no-op unless tracing is on), named by method and matched route. */
export function requestTracing(): MiddlewareHandler {
  return (c, next) =>
    withSpan(t, `${c.req.method} ${c.req.path}`, async (span) => {
      span.setAttribute('http.request.method', c.req.method)
      span.setAttribute('url.path', c.req.path)
      await next()
      span.setAttribute('http.response.status_code', c.res.status)
      span.updateName(`${c.req.method} ${c.req.routePath}`)
    })
}
