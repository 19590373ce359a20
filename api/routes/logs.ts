import { OpenAPIHono, createRoute, z } from '@hono/zod-openapi'
import { OTEL_TABLES, severityNumberOf } from '../../storage/index.ts'
import { errorResponse, validationHook, STORAGE_UNAVAILABLE } from '../errors.ts'
import type { TelemetryReads } from '../reads.ts'
import { LogRecordSchema, toLogRecord, type LogRow } from '../schemas/telemetry.ts'
import { iso, resolveRange, timeParam } from '../time.ts'

export const DEFAULT_LOG_LIMIT = 100
export const MAX_LOG_LIMIT = 1000
const DEFAULT_RANGE_MS = 3_600_000

function severityFloor(text: string): number | undefined {
  if (/^\d+$/.test(text)) {
    const n = Number(text)
    return n >= 1 && n <= 24 ? n : undefined
  }
  return severityNumberOf(text)
}

const LogsSchema = z
  .object({
    from: z.string(),
    to: z.string(),
    limit: z.number().int(),
    logs: z.array(LogRecordSchema),
  })
  .openapi('Logs')

const getLogs = createRoute({
  method: 'get',
  path: '/',
  summary: 'Recent log records',
  description: 'Log records from otel_logs, newest first, filtered by service, time range and minimum severity.',
  tags: ['telemetry'],
  request: {
    query: z.object({
      service: z.string().min(1, 'expected a service name').max(1024, 'expected a service name of at most 1024 characters').optional().openapi({ description: 'service.name of the records', example: 'checkout' }),
      from: timeParam('start of the range, default an hour before `to`'),
      to: timeParam('end of the range, default now'),
      severity: z
        .string()
        .refine((s) => severityFloor(s) !== undefined, { message: 'expected trace, debug, info, warn, error, fatal or a severity number 1-24' })
        .optional()
        .openapi({ description: 'minimum severity: a level name or an OTel severity number', example: 'warn' }),
      traceId: z.string().regex(/^[0-9a-fA-F]{32}$/, 'expected a trace id of 32 hex digits').optional().openapi({ description: 'only records of this trace' }),
      limit: z.coerce
        .number({ error: 'expected a number' })
        .int('expected a whole number')
        .min(1, 'expected at least 1')
        .max(MAX_LOG_LIMIT, `expected at most ${MAX_LOG_LIMIT}`)
        .default(DEFAULT_LOG_LIMIT)
        .openapi({ description: `records to return, 1-${MAX_LOG_LIMIT}` }),
    }),
  },
  responses: {
    200: { description: 'The records', content: { 'application/json': { schema: LogsSchema } } },
    400: errorResponse('A bad parameter, or a range longer than api.reads.maxRangeDays'),
    422: errorResponse('The answer would be larger than api.reads.maxResultBytes'),
    429: errorResponse('Too many log and trace reads at once; retry after Retry-After'),
    503: STORAGE_UNAVAILABLE,
  },
})

/** Bound parameters without the unset ones (the client would send them as text). */
function definedParams(params: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(params).filter(([, v]) => v !== undefined))
}

export function logRoutes(reads: TelemetryReads) {
  const app = new OpenAPIHono({ defaultHook: validationHook })
  app.openapi(getLogs, async (c) => {
    const q = c.req.valid('query')
    const { fromMs, toMs } = resolveRange(q, Date.now(), { defaultMs: DEFAULT_RANGE_MS, max: { ms: reads.maxRangeMs, setting: 'api.reads.maxRangeDays' } })
    const filters = ['Timestamp >= fromUnixTimestamp64Milli({fromMs:Int64}) AND Timestamp <= fromUnixTimestamp64Milli({toMs:Int64})']
    // TimestampTime leads the sort key after ServiceName: bounding it lets ClickHouse skip granules.
    filters.push('TimestampTime >= toDateTime(intDiv({fromMs:Int64}, 1000)) AND TimestampTime <= toDateTime(intDiv({toMs:Int64}, 1000))')
    if (q.service !== undefined) filters.push('ServiceName = {service:String}')
    if (q.severity !== undefined) filters.push('SeverityNumber >= {severity:UInt8}')
    if (q.traceId !== undefined) filters.push('TraceId = {traceId:String}')
    const rows = await reads.query<LogRow>(
      `SELECT toString(toUnixTimestamp64Nano(Timestamp)) AS timeNs, SeverityText, SeverityNumber, ServiceName, Body, TraceId, SpanId,
         LogAttributes, ResourceAttributes, ScopeName, ScopeVersion
       FROM ${OTEL_TABLES.logs}
       WHERE ${filters.join(' AND ')}
       ORDER BY Timestamp DESC LIMIT {limit:UInt32}`,
      definedParams({ fromMs, toMs, service: q.service, severity: q.severity === undefined ? undefined : severityFloor(q.severity), traceId: q.traceId?.toLowerCase(), limit: q.limit }),
    )
    return c.json({ from: iso(fromMs), to: iso(toMs), limit: q.limit, logs: rows.map(toLogRecord) }, 200)
  })
  return app
}
