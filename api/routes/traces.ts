import { OpenAPIHono, createRoute, z } from '@hono/zod-openapi'
import { OTEL_TABLES } from '../../storage/index.ts'
import type { TelemetryReads } from '../reads.ts'
import { ApiError, errorResponse, validationHook, STORAGE_UNAVAILABLE } from '../errors.ts'
import { SpanSchema, toSpan, type SpanRow } from '../schemas/telemetry.ts'
import { iso, resolveRange, timeParam } from '../time.ts'

/** Spans of one trace are bounded: a runaway trace must not take the API down. */
export const MAX_TRACE_SPANS = 10_000

/** The columns toSpan reads, for every span query. */
const SPAN_COLUMNS = `toString(toUnixTimestamp64Nano(Timestamp)) AS startNs, TraceId, SpanId, ParentSpanId, TraceState, SpanName, SpanKind, ServiceName,
         ResourceAttributes, ScopeName, ScopeVersion, SpanAttributes, toString(Duration) AS Duration, StatusCode, StatusMessage,
         arrayMap(t -> toString(toUnixTimestamp64Nano(t)), Events.Timestamp) AS eventTimesNs, Events.Name AS eventNames, Events.Attributes AS eventAttributes,
         Links.TraceId AS linkTraceIds, Links.SpanId AS linkSpanIds, Links.TraceState AS linkTraceStates, Links.Attributes AS linkAttributes`

export const MAX_SPAN_SEARCH = 100

const searchSpans = createRoute({
  method: 'get',
  path: '/',
  summary: 'Recent spans of a service, errors or slow ones',
  description: 'Spans from otel_traces, newest first: of one service, optionally one span name, with status Error and/or at least a duration. What a span SLI counts as bad, for looking at examples.',
  tags: ['telemetry'],
  request: {
    query: z.object({
      service: z.string().min(1, 'expected a service name').openapi({ description: 'service.name of the spans', example: 'checkout' }),
      spanName: z.string().min(1).optional().openapi({ description: 'only spans of this name' }),
      status: z.enum(['error']).optional().openapi({ description: 'error: only spans with status Error' }),
      minDurationMs: z.coerce.number({ error: 'expected a number' }).min(0, 'expected at least 0').optional().openapi({ description: 'only spans lasting at least this long' }),
      from: timeParam('start of the range, default an hour before `to`'),
      to: timeParam('end of the range, default now'),
      limit: z.coerce.number({ error: 'expected a number' }).int('expected a whole number').min(1, 'expected at least 1').max(MAX_SPAN_SEARCH, `expected at most ${MAX_SPAN_SEARCH}`).default(20),
    }),
  },
  responses: {
    200: { description: 'The spans', content: { 'application/json': { schema: z.object({ from: z.string(), to: z.string(), spans: z.array(SpanSchema) }).openapi('SpanSearch') } } },
    400: errorResponse('A bad parameter'),
  },
})

const TraceSchema = z
  .object({
    traceId: z.string(),
    spanCount: z.number().int(),
    truncated: z.boolean().openapi({ description: `true when the trace has more than ${MAX_TRACE_SPANS} spans, or spans longer than api.reads.maxRangeDays, and only the first are returned` }),
    spans: z.array(SpanSchema),
  })
  .openapi('Trace')

const getTrace = createRoute({
  method: 'get',
  path: '/{traceId}',
  summary: 'The spans of a trace',
  description: 'Every span of the trace, oldest first, from otel_traces.',
  tags: ['telemetry'],
  request: {
    params: z.object({
      traceId: z
        .string()
        .regex(/^[0-9a-fA-F]{32}$/, 'expected a trace id of 32 hex digits')
        .openapi({ param: { name: 'traceId', in: 'path' }, example: '5b8efff798038103d269b633813fc60c' }),
    }),
  },
  responses: {
    200: { description: 'The trace', content: { 'application/json': { schema: TraceSchema } } },
    400: errorResponse('Not a trace id'),
    404: errorResponse('No span of that trace is stored'),
    422: errorResponse('The answer would be larger than api.reads.maxResultBytes'),
    429: errorResponse('Too many log and trace reads at once; retry after Retry-After'),
    503: STORAGE_UNAVAILABLE,
  },
})

export function traceRoutes(reads: TelemetryReads) {
  const app = new OpenAPIHono({ defaultHook: validationHook })
  app.openapi(getTrace, async (c) => {
    const traceId = c.req.valid('param').traceId.toLowerCase()
    // The trace-id index table gives the time range, so the span read touches only its partitions.
    const [bounds] = await reads.query<{ n: string; start: string; end: string }>(
      `SELECT count() AS n, toUnixTimestamp(min(Start)) AS start, toUnixTimestamp(max(End)) AS end FROM ${OTEL_TABLES.traceIdTs} WHERE TraceId = {traceId:String}`,
      { traceId },
    )
    if (!bounds || Number(bounds.n) === 0) throw new ApiError(404, 'not_found', `no spans stored for trace ${traceId}`)
    // A trace whose spans stretch over more than the longest read allowed (clock skew, bogus timestamps) is read from its start only.
    const start = Number(bounds.start)
    const end = Math.min(Number(bounds.end), start + Math.floor(reads.maxRangeMs / 1000))
    const rows = await reads.query<SpanRow>(
      `SELECT ${SPAN_COLUMNS}
       FROM ${OTEL_TABLES.traces}
       WHERE TraceId = {traceId:String} AND Timestamp >= toDateTime64({start:UInt32}, 9) AND Timestamp < toDateTime64({end:UInt32} + 1, 9)
       ORDER BY Timestamp, SpanId LIMIT {limit:UInt32}`,
      { traceId, start, end, limit: MAX_TRACE_SPANS + 1 },
    )
    if (rows.length === 0) throw new ApiError(404, 'not_found', `no spans stored for trace ${traceId}`)
    const spans = rows.slice(0, MAX_TRACE_SPANS).map(toSpan)
    const clipped = end < Number(bounds.end)
    return c.json({ traceId, spanCount: spans.length, truncated: rows.length > MAX_TRACE_SPANS || clipped, spans }, 200)
  })
  app.openapi(searchSpans, async (c) => {
    const q = c.req.valid('query')
    const { fromMs, toMs } = resolveRange(q, Date.now(), { defaultMs: 3_600_000, max: { ms: reads.maxRangeMs, setting: 'api.reads.maxRangeDays' } })
    const conditions = ['ServiceName = {service:String}', 'Timestamp >= fromUnixTimestamp64Milli({from:Int64})', 'Timestamp <= fromUnixTimestamp64Milli({to:Int64})']
    if (q.spanName !== undefined) conditions.push('SpanName = {spanName:String}')
    if (q.status === 'error') conditions.push("StatusCode = 'Error'")
    // Qualified: the select list turns Duration into a string of the same name.
    if (q.minDurationMs !== undefined) conditions.push(`${OTEL_TABLES.traces}.Duration >= {minNs:UInt64}`)
    const rows = await reads.query<SpanRow>(
      `SELECT ${SPAN_COLUMNS} FROM ${OTEL_TABLES.traces} WHERE ${conditions.join(' AND ')} ORDER BY Timestamp DESC LIMIT {limit:UInt32}`,
      { service: q.service, spanName: q.spanName ?? '', from: Math.floor(fromMs), to: Math.floor(toMs), minNs: Math.round((q.minDurationMs ?? 0) * 1e6), limit: q.limit },
    )
    return c.json({ from: iso(fromMs), to: iso(toMs), spans: rows.map(toSpan) }, 200)
  })
  return app
}
