import { OpenAPIHono, createRoute, z } from '@hono/zod-openapi'
import { attributeBurn, ATTRIBUTION_LIMITS, isAttributable, type Attribution, type SloCatalog } from '../../slo-engine/index.ts'
import type { TelemetryReads } from '../reads.ts'
import { ApiError, errorResponse, validationHook } from '../errors.ts'
import { requireSlo } from '../slo-lookup.ts'
import { iso, resolveRange, timeParam } from '../time.ts'

// GET /api/v1/slos/{id}/attribution: which attribute values burnt the
// budget in a range (slo-engine/attribution; docs/attribution.md). The reads
// go through the API's telemetry reads: read-only, bounded in range, run
// time, memory and answer size, and queued with the log and trace reads.

const DEFAULT_RANGE_MS = 3_600_000
const KEY_PATTERN = /^[^,\s][^,]*$/

const dimensionsParam = z
  .string()
  .optional()
  .transform((text, ctx) => {
    if (text === undefined) return undefined
    const keys = text.split(',').map((k) => k.trim())
    const bad = keys.find((k) => k === '' || k.length > 256 || !KEY_PATTERN.test(k))
    if (bad !== undefined) ctx.addIssue({ code: 'custom', message: `expected comma-separated attribute keys of 1 to 256 characters (got ${JSON.stringify(bad)})` })
    else if (keys.length > ATTRIBUTION_LIMITS.maxExplicitKeys) ctx.addIssue({ code: 'custom', message: `expected at most ${ATTRIBUTION_LIMITS.maxExplicitKeys} keys (got ${keys.length})` })
    return [...new Set(keys)]
  })
  .openapi({ description: 'Only these attribute keys, comma-separated (span, log or resource attributes); default: the SLO\'s `attribution` keys plus those found on its bad events', example: 'http.route,service.version' })

const ValueSchema = z.object({
  value: z.string().nullable().openapi({ description: 'null: the attribute is not set on these events' }),
  bad: z.number(),
  total: z.number(),
  budgetShare: z.number().openapi({ description: 'its bad events ÷ all bad events of the SLO in the range (0–1)' }),
  trafficShare: z.number().openapi({ description: 'its events ÷ all events of the SLO in the range' }),
  errorRatio: z.number().openapi({ description: 'its bad ÷ its events, beside the SLO\'s errorRatio' }),
  exampleTraceIds: z.array(z.string()).openapi({ description: `up to ${5} traces of bad events` }),
  exampleLogs: z.array(z.object({ time: z.string(), traceId: z.string(), spanId: z.string(), body: z.string() })).optional().openapi({ description: 'log SLIs: example bad records (body cut at 500 characters)' }),
  exampleSeries: z
    .array(z.object({ metric: z.string(), service: z.string(), attributes: z.record(z.string(), z.string()) }))
    .optional()
    .openapi({ description: 'counter and histogram SLIs: up to 5 series of the bad part with that value, the most bad events first' }),
})

const SampleReadSchema = z.object({
  rate: z.number().openapi({ description: 'share of the blocks of rows read (1: all)' }),
  read: z.number().openapi({ description: 'events read' }),
  partial: z.boolean().openapi({ description: 'the read stopped at its time budget' }),
})

const AttributionSchema = z
  .object({
    sloId: z.string(),
    sliKind: z.enum(['spans', 'logs', 'metrics', 'histogram']),
    from: z.string(),
    to: z.string(),
    total: z.number(),
    bad: z.number(),
    errorRatio: z.number().openapi({ description: 'the SLO\'s bad ÷ events in the range' }),
    allowedErrorRatio: z.number().openapi({ description: '1 - objective' }),
    estimated: z.boolean().openapi({ description: 'true: the values\' counts and shares are estimated from a sample of the range (large ranges) or a read that stopped at its time budget; total and bad stay exact. See sampling and docs/attribution.md' }),
    sampling: z.object({ badEvents: SampleReadSchema, events: SampleReadSchema }),
    dimensions: z.array(
      z.object({
        key: z.string(),
        source: z.enum(['query', 'spec', 'discovered']),
        concentration: z.number().openapi({ description: 'max over values of budgetShare - trafficShare: 0 when errors spread like traffic' }),
        values: z.array(ValueSchema),
      }),
    ),
  })
  .openapi('Attribution')

const getAttribution = createRoute({
  method: 'get',
  path: '/{id}/attribution',
  summary: 'Where the error budget went',
  description:
    'Per attribute (route, version, pod, region, tenant…), the values ranked by their share of the bad events of a span, log, counter or histogram SLO in the range, with example failing traces (metric SLIs: example series). Dimensions are ranked by how strongly they concentrate the errors; see docs/attribution.md.',
  tags: ['slos'],
  request: {
    params: z.object({ id: z.string().min(1).max(256).openapi({ param: { name: 'id', in: 'path' }, example: 'checkout-availability' }) }),
    query: z.object({ from: timeParam('start of the range, default an hour before `to`'), to: timeParam('end of the range, default now'), dimensions: dimensionsParam }),
  },
  responses: {
    200: { description: 'The attribution', content: { 'application/json': { schema: AttributionSchema } } },
    400: errorResponse('A bad parameter, a range longer than api.reads.maxRangeDays, or a PromQL or external SLI'),
    404: errorResponse('No such SLO'),
    422: errorResponse('The answer would be larger than api.reads.maxResultBytes'),
    429: errorResponse('Too many telemetry reads at once; retry after Retry-After'),
    503: errorResponse('Storage unavailable or the read timed out (api.reads.maxExecutionSeconds); retry after Retry-After'),
  },
})

function toJson(a: Attribution) {
  return {
    sloId: a.sloId,
    sliKind: a.sliKind,
    from: iso(a.fromMs),
    to: iso(a.toMs),
    total: a.total,
    bad: a.bad,
    errorRatio: a.errorRatio,
    allowedErrorRatio: a.allowedErrorRatio,
    estimated: a.estimated,
    sampling: a.sampling,
    dimensions: a.dimensions.map((d) => ({
      ...d,
      values: d.values.map(({ exampleLogs, ...v }) => ({ ...v, ...(exampleLogs && { exampleLogs: exampleLogs.map(({ timeMs, ...l }) => ({ time: iso(timeMs), ...l })) }) })),
    })),
  }
}

export function attributionRoutes(deps: { catalog: SloCatalog; reads: TelemetryReads }) {
  const app = new OpenAPIHono({ defaultHook: validationHook })
  app.openapi(getAttribution, async (c) => {
    const q = c.req.valid('query')
    const range = resolveRange(q, Date.now(), { defaultMs: DEFAULT_RANGE_MS, max: { ms: deps.reads.maxRangeMs, setting: 'api.reads.maxRangeDays' } })
    const slo = await requireSlo(deps.catalog, c.req.valid('param').id)
    if (!isAttributable(slo)) throw new ApiError(400, 'bad_request', `SLO ${JSON.stringify(slo.id)} has a ${slo.sli.kind} SLI: attribution reads span, log, counter and histogram SLIs only`)
    const attribution = await attributeBurn(slo, { range, ...(q.dimensions && { dimensions: q.dimensions }) }, (sql, params, options) => deps.reads.query(sql, params, options))
    return c.json(toJson(attribution), 200)
  })
  return app
}
