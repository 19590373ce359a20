import { OpenAPIHono, createRoute, z } from '@hono/zod-openapi'
import { makeReport, reportJson } from '../../reports/index.ts'
import type { SloCatalog } from '../../slo-engine/index.ts'
import type { Storage } from '../../storage/index.ts'
import type { TelemetryReads } from '../reads.ts'
import { ApiError, errorResponse, validationHook, STORAGE_UNAVAILABLE } from '../errors.ts'
import { MAX_TIME_MS, MIN_TIME_MS, TIME_HELP, parseTime } from '../time.ts'

// GET /api/v1/reports: how each team's and service's SLOs did over the last
// complete ISO week or calendar month (docs/reports.md).

export interface ReportRouteDeps {
  storage: Storage
  catalog: SloCatalog
  reads: TelemetryReads
  /** Time all attribution reads of one report may take together (ms). */
  attributionBudgetMs?: number
  now?: () => number
}

const DEFAULT_ATTRIBUTION_BUDGET_MS = 10_000
const LABEL = /^([^:\s]{1,256}):(.{1,256})$/

const FiringSchema = z.object({ severity: z.string(), firedAt: z.string(), resolvedAt: z.string().nullable().openapi({ description: 'null: still firing' }), durationSeconds: z.number() })
const figures = {
  evaluatedAt: z.string().nullable().openapi({ description: 'the closing evaluation: the last `ok` one in the period' }),
  objective: z.number().nullable(),
  sli: z.number().nullable().openapi({ description: 'the period\'s own SLI (good ÷ events in the period, from the rollups); when the rollups no longer hold the period, the closing evaluation\'s (over the SLO\'s window): see sliOver' }),
  sliOver: z.enum(['period', 'window']).nullable().openapi({ description: 'what sli is over: the period, or the SLO\'s window at the closing evaluation' }),
  events: z.object({ total: z.number(), bad: z.number() }).nullable().openapi({ description: 'events (or slices) and bad ones in the period, from the rollups' }),
  met: z.boolean().nullable().openapi({ description: 'sli ≥ objective; null without data' }),
  budgetRemaining: z.number().nullable(),
  budgetSpent: z.number().nullable().openapi({ description: 'remaining at the previous close − remaining at this close (fraction of the budget)' }),
  alerts: z.array(FiringSchema),
  alertSeconds: z.number(),
}
const SloReportSchema = z.object({
  id: z.string(),
  name: z.string(),
  service: z.string(),
  team: z.string().nullable(),
  ...figures,
  previous: z.object(figures),
  change: z.object({ sli: z.number().nullable(), budgetSpent: z.number().nullable(), alerts: z.number(), met: z.enum(['kept', 'recovered', 'lost']).nullable() }),
  contributors: z
    .union([
      z.object({ top: z.object({ key: z.string(), value: z.string().nullable(), budgetShare: z.number(), exampleTraceId: z.string().optional() }).nullable(), from: z.string(), to: z.string() }),
      z.object({ skipped: z.string() }),
    ])
    .nullable()
    .openapi({ description: 'attribution\'s top value (span, log, counter and histogram SLIs); skipped says why it was not read' }),
})
const ReportSchema = z
  .object({
    period: z.enum(['week', 'month']),
    from: z.string(),
    to: z.string(),
    previous: z.object({ from: z.string(), to: z.string() }),
    generatedAt: z.string(),
    filter: z.object({ service: z.string().optional(), label: z.string().optional() }),
    summary: z.object({ slos: z.number(), met: z.number(), missed: z.number(), noData: z.number(), alertsFired: z.number(), alertSeconds: z.number() }),
    teams: z.array(z.object({ team: z.string().nullable(), services: z.array(z.object({ service: z.string(), slos: z.array(SloReportSchema) })) })),
    notes: z.array(z.string()),
  })
  .openapi('Report')

const getReport = createRoute({
  method: 'get',
  path: '/',
  summary: 'SLO report of the last complete week or month, per team and service',
  description: 'Per SLO: met or missed, budget spent, alerts fired with durations, the top contributor from attribution, and the change from the previous period. Weeks are ISO weeks from Monday 00:00 UTC, months start on the 1st 00:00 UTC. See docs/reports.md.',
  tags: ['reports'],
  request: {
    query: z.object({
      period: z.enum(['week', 'month'], { error: 'expected week or month' }).openapi({ example: 'week' }),
      service: z.string().min(1).max(256).optional().openapi({ example: 'checkout' }),
      label: z.string().regex(LABEL, 'expected key:value').optional().openapi({ description: 'only SLOs with this label, key:value', example: 'team:payments' }),
      end: z.string().optional().openapi({ description: `the report covers the last period complete at this time, default now (${TIME_HELP})`, example: '2026-11-30T00:00:00Z' }),
    }),
  },
  responses: {
    200: { description: 'The report', content: { 'application/json': { schema: ReportSchema } } },
    400: errorResponse('A bad parameter'),
    404: errorResponse('No SLO matches the service or label'),
    503: STORAGE_UNAVAILABLE,
  },
})

function endMs(text: string | undefined, nowMs: number): number {
  if (text === undefined) return nowMs
  const ms = parseTime(text, nowMs)
  if (ms === undefined || ms < MIN_TIME_MS || ms > MAX_TIME_MS) throw new ApiError(400, 'bad_request', `query parameter end: expected a time: ${TIME_HELP} (got ${JSON.stringify(text)})`)
  return ms
}

export function reportRoutes(deps: ReportRouteDeps) {
  const now = deps.now ?? Date.now
  const app = new OpenAPIHono({ defaultHook: validationHook })
  app.openapi(getReport, async (c) => {
    const q = c.req.valid('query')
    const nowMs = now()
    const atMs = endMs(q.end, nowMs)
    const [, key, value] = q.label ? LABEL.exec(q.label)! : []
    const slos = (await deps.catalog.list()).filter((s) => (q.service === undefined || s.service === q.service) && (key === undefined || s.labels[key] === value))
    if (slos.length === 0 && (q.service !== undefined || q.label !== undefined)) {
      throw new ApiError(404, 'not_found', `no SLO ${[q.service !== undefined && `of service ${JSON.stringify(q.service)}`, q.label !== undefined && `with label ${JSON.stringify(q.label)}`].filter(Boolean).join(' and ')}`)
    }
    const report = await makeReport(
      { period: q.period, atMs, nowMs, slos, filter: { ...(q.service !== undefined && { service: q.service }), ...(q.label !== undefined && { label: q.label }) } },
      { storage: deps.storage, attributionQuery: (sql, params, options) => deps.reads.query(sql, params, options), attributionMaxRangeMs: deps.reads.maxRangeMs, attributionBudgetMs: deps.attributionBudgetMs ?? DEFAULT_ATTRIBUTION_BUDGET_MS },
    )
    return c.json(reportJson(report), 200)
  })
  return app
}
