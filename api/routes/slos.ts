import { OpenAPIHono, createRoute, z } from '@hono/zod-openapi'
import type { Isolation } from '../../isolation/index.ts'
import { API_SOURCE_FILE, formatDuration, SPEC_LIMITS, readEvaluationHistory, readLatestEvaluations, type Slo, type SloCatalog, type SpecParseOptions } from '../../slo-engine/index.ts'
import type { Storage } from '../../storage/index.ts'
import { parseSpecBody, readSpecBody, specBodyLimit, yamlBody } from '../body.ts'
import { ApiError, errorResponse, noSuchSlo, validationHook, STORAGE_UNAVAILABLE } from '../errors.ts'
import { requireSlo } from '../slo-lookup.ts'
import { EvaluationSchema, SloDetailSchema, SloSummarySchema, ValidationSchema } from '../schemas/slo.ts'
import { loadAlertStates, redactSlo } from '../../alerts/index.ts'
import { alertViewsBySlo, managedBy, sloStatus, type SloStatus } from '../status.ts'
import { iso, parseStepSeconds, resolveRange, timeParam } from '../time.ts'
import { statusListCache } from '../status-cache.ts'

export interface SloRouteDeps {
  storage: Storage
  catalog: SloCatalog
  /** How long the status list is reused; PUT and DELETE through this process clear it at once. */
  statusCacheMs: number
  /** What validate checks beyond the spec (the notification URL allow-list); PUT checks it in the catalog. */
  parseOptions?: SpecParseOptions
  /** The process's body budget and parse workers: spec bodies count against the one, large ones are parsed in the other. */
  isolation: Isolation
  /** Age beyond which a status says `stale: true` (three engine intervals plus the settle delay). */
  staleAfterMs: number
}

/** Like Prometheus' query_range: a history answer of more points than this is refused, not truncated. */
const MAX_HISTORY_POINTS = 11_000
const DEFAULT_HISTORY_MS = 24 * 3_600_000
/** The longest SLO window (366d): no step is useful beyond it. */
const MAX_STEP_SECONDS = 366 * 86_400


const idParam = z.object({
  id: z.string().min(1).max(256, 'expected an SLO id of at most 256 characters').openapi({ param: { name: 'id', in: 'path' }, example: 'checkout-availability' }),
})

function windowText(slo: Slo): string {
  return slo.window.kind === 'rolling' ? formatDuration(slo.window.seconds) : `calendar ${slo.window.period} (${slo.window.timeZone})`
}

function summary(slo: Slo, status: SloStatus): z.infer<typeof SloSummarySchema> {
  return {
    id: slo.id,
    name: slo.name,
    service: slo.service,
    ...(slo.displayName === undefined ? {} : { displayName: slo.displayName }),
    ...(slo.description === undefined ? {} : { description: slo.description }),
    labels: slo.labels,
    objectivePercent: slo.objectivePercent,
    window: windowText(slo),
    sliKind: slo.sli.kind,
    managedBy: managedBy(slo),
    source: { format: slo.source.format, file: slo.source.file, line: slo.source.line, column: slo.source.column },
    status,
  }
}

const listSlos = createRoute({
  method: 'get',
  path: '/',
  summary: 'Every SLO with its current status',
  description: 'SLI, error budget, burn rates and alert state of every SLO, file-defined and API-managed, sorted by id.',
  tags: ['slos'],
  responses: { 200: { description: 'The SLOs', content: { 'application/json': { schema: z.object({ slos: z.array(SloSummarySchema) }) } } }, 503: STORAGE_UNAVAILABLE },
})

const getSlo = createRoute({
  method: 'get',
  path: '/{id}',
  summary: 'One SLO: its spec and status',
  tags: ['slos'],
  request: { params: idParam },
  responses: { 200: { description: 'The SLO (notification secrets redacted)', content: { 'application/json': { schema: SloDetailSchema } } }, 404: errorResponse('No such SLO'), 503: STORAGE_UNAVAILABLE },
})

const getHistory = createRoute({
  method: 'get',
  path: '/{id}/history',
  summary: 'Evaluations of one SLO over time',
  description: `One evaluation per step (the last in each step) between from and to; at most ${MAX_HISTORY_POINTS} steps.`,
  tags: ['slos'],
  request: {
    params: idParam,
    query: z.object({
      from: timeParam('start, default 24 hours before `to`'),
      to: timeParam('end, default now'),
      step: z
        .string()
        .refine(
          (s) => {
            const seconds = parseStepSeconds(s)
            return seconds !== undefined && seconds >= 1 && seconds <= MAX_STEP_SECONDS
          },
          { message: `expected a step between 1s and 366d (${MAX_STEP_SECONDS}s): a duration (5m) or seconds` },
        )
        .optional()
        .openapi({ description: 'resolution: a duration (5m, 1h) or seconds; default chosen for about 300 points, at least 60s', example: '5m' }),
    }),
  },
  responses: {
    200: {
      description: 'The evaluations',
      content: {
        'application/json': {
          schema: z.object({ sloId: z.string(), from: z.string(), to: z.string(), stepSeconds: z.number(), evaluations: z.array(EvaluationSchema) }).openapi('History'),
        },
      },
    },
    400: errorResponse('A bad parameter'),
    404: errorResponse('No such SLO'),
    503: STORAGE_UNAVAILABLE,
  },
})

const validateSpec = createRoute({
  method: 'post',
  path: '/validate',
  summary: 'Validate SLO specs',
  description: 'Parses a YAML body (one or more documents: cairn/v1, Sloth prometheus/v1, OpenSLO v1) and reports every error with its line and column. Stores nothing.',
  tags: ['slos'],
  request: { body: yamlBody('SLO specs as YAML') },
  responses: {
    200: { description: 'The verdict: valid, the SLOs found, the errors', content: { 'application/json': { schema: ValidationSchema } } },
    400: errorResponse('An empty or non-text body'),
    413: errorResponse(`A body over ${SPEC_LIMITS.maxBytes} bytes, ${SPEC_LIMITS.maxNodes} YAML nodes or ${SPEC_LIMITS.maxDepth} levels of nesting`),
    429: errorResponse('The server holds its limit of request bodies: retry after Retry-After seconds'),
    415: errorResponse('Not a YAML content type'),
  },
})

const putSlo = createRoute({
  method: 'put',
  path: '/{id}',
  summary: 'Create or replace an API-managed SLO',
  description: 'The body is one SLO spec whose id (<service>-<name>) is the path id. An id defined in a file under CAIRN_SLO_DIR wins: PUT answers 409 for it.',
  tags: ['slos'],
  request: { params: idParam, body: yamlBody('One SLO spec as YAML') },
  responses: {
    200: { description: 'Replaced', content: { 'application/json': { schema: SloDetailSchema } } },
    201: { description: 'Created', content: { 'application/json': { schema: SloDetailSchema } } },
    400: errorResponse('An invalid spec (details: its errors with line and column), or one whose id is not the path id'),
    409: errorResponse('The id is defined in a file'),
    413: errorResponse(`A body over ${SPEC_LIMITS.maxBytes} bytes, ${SPEC_LIMITS.maxNodes} YAML nodes or ${SPEC_LIMITS.maxDepth} levels of nesting`),
    429: errorResponse('The server holds its limit of request bodies: retry after Retry-After seconds'),
    415: errorResponse('Not a YAML content type'),
  },
})

const deleteSlo = createRoute({
  method: 'delete',
  path: '/{id}',
  summary: 'Delete an API-managed SLO',
  tags: ['slos'],
  request: { params: idParam },
  responses: { 204: { description: 'Deleted' }, 404: errorResponse('No such SLO'), 409: errorResponse('The id is defined in a file: delete it there') },
})

export function sloRoutes(deps: SloRouteDeps) {
  const { storage, catalog } = deps
  const app = new OpenAPIHono({ defaultHook: validationHook })
  app.on(['POST', 'PUT'], '*', specBodyLimit(deps.isolation))
  const listCache = statusListCache(deps.statusCacheMs, async () => JSON.stringify(await freshList()))

  async function statusOf(slos: Slo[]): Promise<SloStatus[]> {
    const ids = slos.map((s) => s.id)
    const [evaluations, alertStates] = await Promise.all([readLatestEvaluations(storage, ids), loadAlertStates(storage, ids)])
    const alerts = alertViewsBySlo(alertStates)
    const freshness = { nowMs: Date.now(), staleAfterMs: deps.staleAfterMs }
    return slos.map((s) => sloStatus(s, evaluations.get(s.id), alerts.get(s.id), freshness))
  }

  async function freshList() {
    const slos = await catalog.list()
    const statuses = await statusOf(slos)
    return { slos: slos.map((s, i) => summary(s, statuses[i]!)) }
  }

  app.openapi(listSlos, async (c) => {
    // The body is kept serialized: at hundreds of requests a second, stringifying 100 SLOs each time shows.
    return c.body(await listCache.get(), 200, { 'content-type': 'application/json' }) as never
  })

  app.openapi(validateSpec, async (c) => {
    const text = await readSpecBody(c)
    const parsed = await parseSpecBody(deps.isolation, text, 'body', deps.parseOptions)
    const { slos, errors } = await catalog.validate(text, 'body', parsed)
    return c.json({ valid: errors.length === 0, slos: slos.map((s) => ({ id: s.id, service: s.service, name: s.name, format: s.source.format })), errors }, 200)
  })

  app.openapi(getSlo, async (c) => {
    const slo = await requireSlo(catalog, c.req.valid('param').id)
    const [status] = await statusOf([slo])
    return c.json({ slo: redactSlo(slo) as unknown as Record<string, unknown>, managedBy: managedBy(slo), status: status! }, 200)
  })

  app.openapi(getHistory, async (c) => {
    const { id } = c.req.valid('param')
    const q = c.req.valid('query')
    const { fromMs, toMs } = resolveRange(q, Date.now(), { defaultMs: DEFAULT_HISTORY_MS })
    const stepSeconds = q.step === undefined ? Math.max(60, Math.ceil((toMs - fromMs) / 1000 / 300 / 60) * 60) : parseStepSeconds(q.step)!
    const points = (toMs - fromMs) / 1000 / stepSeconds
    if (points > MAX_HISTORY_POINTS) {
      throw new ApiError(400, 'bad_request', `the range holds ${Math.ceil(points)} steps of ${stepSeconds}s, more than ${MAX_HISTORY_POINTS}: use a larger step or a shorter range`)
    }
    const [, evaluations] = await Promise.all([requireSlo(catalog, id), readEvaluationHistory(storage, id, { fromMs, toMs, stepSeconds })])
    return c.json(
      {
        sloId: id,
        from: iso(fromMs),
        to: iso(toMs),
        stepSeconds,
        evaluations: evaluations.map((e) => ({
          evaluatedAt: iso(e.evaluatedAtMs),
          status: e.status,
          error: e.error ?? null,
          sli: e.sli,
          objective: e.objectiveRatio,
          eventsTotal: e.eventsTotal,
          eventsBad: e.eventsBad,
          budgetTotal: e.budgetTotal,
          budgetConsumed: e.budgetConsumed,
          budgetRemainingRatio: e.budgetRemainingRatio,
          burnRates: e.burnRates,
        })),
      },
      200,
    )
  })

  app.openapi(putSlo, async (c) => {
    const { id } = c.req.valid('param')
    const text = await readSpecBody(c)
    const result = await catalog.putFromApi(id, text, await parseSpecBody(deps.isolation, text, API_SOURCE_FILE, deps.parseOptions))
    if (result.conflict === 'file-defined') throw new ApiError(409, 'conflict', `SLO ${JSON.stringify(id)} is defined in a file under the SLO directory; files win over the API: change it there`)
    if (result.errors.length > 0 || !result.slo) {
      const what = result.conflict === 'id-mismatch' ? 'the spec defines another SLO than the path names' : 'the spec is invalid'
      throw new ApiError(400, 'invalid_spec', `${what}: ${result.errors.map((e) => `${e.line}:${e.column}: ${e.message}`).join('; ')}`, result.errors)
    }
    listCache.clear()
    const [status] = await statusOf([result.slo])
    return c.json({ slo: redactSlo(result.slo) as unknown as Record<string, unknown>, managedBy: managedBy(result.slo), status: status! }, result.created ? 201 : 200)
  })

  app.openapi(deleteSlo, async (c) => {
    const { id } = c.req.valid('param')
    const outcome = await catalog.deleteFromApi(id)
    if (outcome === 'not-found') throw noSuchSlo(id)
    if (outcome === 'file-defined') throw new ApiError(409, 'conflict', `SLO ${JSON.stringify(id)} is defined in a file under the SLO directory: delete it there`)
    listCache.clear()
    return c.body(null, 204)
  })

  return app
}
