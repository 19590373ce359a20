import { ROOT_CONTEXT, SpanKind, SpanStatusCode, type Attributes, type TextMapGetter, type Tracer } from '@opentelemetry/api'
import { W3CTraceContextPropagator } from '@opentelemetry/core'

// One SERVER span per HTTP request, for the API and the collector alike, named
// and attributed after the OpenTelemetry HTTP semantic conventions, so the SLOs
// in slos/ can select them: service.name, span kind Server, http.route,
// http.response.status_code, and cairn.component (api | collector: both serve
// a /api/v1/... path, remote_write on the collector's port).

export interface ServerRequest {
  method: string
  path: string
  header(name: string): string | undefined
}

export interface ServerOutcome {
  status: number
  /** The matched route template (`/api/v1/slos/:id`); undefined when no route matched. */
  route?: string
}

/**
 * A failure of the server, not of its client: 5xx (as the conventions say),
 * and 429, which cairn answers only when its own write queue is full (it has
 * no per-client quotas), so a 429 is capacity cairn lacked.
 */
export function isServerFailure(status: number): boolean {
  return status >= 500 || status === 429
}

const propagator = new W3CTraceContextPropagator()
const getter: TextMapGetter<ServerRequest> = {
  keys: () => ['traceparent', 'tracestate'],
  get: (req, key) => req.header(key),
}

/** Runs `handle` inside a span; `outcome` is read once it has finished (the response is then decided). */
export async function traceServerRequest(t: Tracer, component: string, req: ServerRequest, handle: () => Promise<void>, outcome: () => ServerOutcome): Promise<void> {
  // A caller's traceparent makes the span its child; nothing else is taken from the request.
  const parent = propagator.extract(ROOT_CONTEXT, req, getter)
  const attributes: Attributes = { 'http.request.method': req.method, 'url.path': req.path, 'cairn.component': component }
  const agent = req.header('user-agent')
  if (agent) attributes['user_agent.original'] = agent
  const span = t.startSpan(req.method, { kind: SpanKind.SERVER, attributes }, parent)
  let thrown: unknown
  try {
    await handle()
  } catch (err) {
    thrown = err
    span.recordException(err as Error)
    throw err
  } finally {
    const { status, route } = outcome()
    span.setAttribute('http.response.status_code', status)
    if (route !== undefined) {
      span.setAttribute('http.route', route)
      span.updateName(`${req.method} ${route}`)
    }
    if (thrown !== undefined || isServerFailure(status)) {
      span.setAttribute('error.type', thrown !== undefined ? (thrown as Error).name || 'Error' : String(status))
      span.setStatus({ code: SpanStatusCode.ERROR })
    }
    span.end()
  }
}
