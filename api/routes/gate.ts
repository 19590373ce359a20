import { OpenAPIHono, createRoute, z } from '@hono/zod-openapi'
import type { GateConfig } from '../../config/index.ts'
import { createOverride, decideGate, listOverrides, revokeOverride, type GateOverride } from '../../gate/index.ts'
import type { Logger } from '../../instrumentation/index.ts'
import { parseDuration, readLatestEvaluations, type Slo, type SloCatalog } from '../../slo-engine/index.ts'
import type { Storage } from '../../storage/index.ts'
import { loadAlertStates } from '../../alerts/index.ts'
import type { Authorizer } from '../auth.ts'
import { ApiError, errorResponse, noSuchSlo, validationHook, STORAGE_UNAVAILABLE } from '../errors.ts'
import { GateDecisionSchema, NewOverrideSchema, OverrideSchema } from '../schemas/gate.ts'
import { iso, parseTime } from '../time.ts'

// The deploy gate (docs/gate.md): may this service (or SLO) deploy now, under
// its error-budget policy, and the audited overrides that open a frozen one.

export interface GateRouteDeps {
  storage: Storage
  catalog: SloCatalog
  logger: Logger
  auth: Authorizer
  config: GateConfig
  now?: () => number
}


const getGate = createRoute({
  method: 'get',
  path: '/',
  summary: 'May a service deploy now?',
  description: 'Applies each SLO\'s error-budget policy to its latest evaluation and page alert; allow is false when some SLO freezes and no active override opens it. Give exactly one of service and slo.',
  tags: ['gate'],
  request: {
    query: z.object({
      service: z.string().min(1).max(256).optional().openapi({ example: 'checkout' }),
      slo: z.string().min(1).max(256).optional().openapi({ example: 'checkout-availability' }),
    }),
  },
  responses: {
    200: { description: 'The decision, its reasons and a verdict per SLO', content: { 'application/json': { schema: GateDecisionSchema } } },
    400: errorResponse('Neither or both of service and slo'),
    404: errorResponse('No such SLO, or no SLO of that service'),
    503: STORAGE_UNAVAILABLE,
  },
})

const listRoute = createRoute({
  method: 'get',
  path: '/overrides',
  summary: 'Deploy-gate overrides, newest first',
  tags: ['gate'],
  request: {
    query: z.object({
      service: z.string().min(1).max(256).optional(),
      active: z.enum(['true', 'false']).optional().openapi({ description: 'true: only those in force now' }),
    }),
  },
  responses: { 200: { description: 'The overrides', content: { 'application/json': { schema: z.object({ overrides: z.array(OverrideSchema) }) } } }, 503: STORAGE_UNAVAILABLE },
})

const createRouteDef = createRoute({
  method: 'post',
  path: '/overrides',
  summary: 'Open a frozen service (or SLO) until a time, with who and why (admin)',
  tags: ['gate'],
  request: { body: { required: true, content: { 'application/json': { schema: NewOverrideSchema } } } },
  responses: {
    201: { description: 'The override', content: { 'application/json': { schema: OverrideSchema } } },
    400: errorResponse('A bad field: until in the past or too far ahead, no who or why'),
    404: errorResponse('No such SLO or service'),
    503: STORAGE_UNAVAILABLE,
  },
})

const revokeRoute = createRoute({
  method: 'delete',
  path: '/overrides/{id}',
  summary: 'End an override now (admin); the record stays',
  tags: ['gate'],
  request: { params: z.object({ id: z.string().min(1).max(64).openapi({ param: { name: 'id', in: 'path' } }) }) },
  responses: { 200: { description: 'The revoked override', content: { 'application/json': { schema: OverrideSchema } } }, 404: errorResponse('No such override'), 503: STORAGE_UNAVAILABLE },
})

function overrideView(o: GateOverride, nowMs: number): z.infer<typeof OverrideSchema> {
  return {
    id: o.id,
    service: o.service,
    slo: o.sloId,
    who: o.who,
    why: o.why,
    createdBy: o.createdBy,
    createdAt: iso(o.createdAtMs),
    until: iso(o.untilMs),
    revokedAt: o.revokedAtMs === null ? null : iso(o.revokedAtMs),
    revokedBy: o.revokedAtMs === null ? null : o.revokedBy,
    active: o.revokedAtMs === null && o.untilMs > nowMs,
  }
}

/** The SLOs a gate question names: one by id, or every SLO of a service. */
async function slosNamed(catalog: SloCatalog, q: { service?: string; slo?: string }): Promise<Slo[]> {
  if ((q.service === undefined) === (q.slo === undefined)) throw new ApiError(400, 'bad_request', 'expected exactly one of the query parameters service and slo')
  if (q.slo !== undefined) {
    const slo = await catalog.get(q.slo)
    if (!slo) throw noSuchSlo(q.slo)
    return [slo]
  }
  const slos = (await catalog.list()).filter((s) => s.service === q.service)
  if (slos.length === 0) throw new ApiError(404, 'not_found', `no SLO of service ${JSON.stringify(q.service)}: check the name (a gate with nothing to check would always allow)`)
  return slos
}

function untilMs(text: string, nowMs: number, maxSeconds: number): number {
  const seconds = parseDuration(text)
  const at = seconds !== undefined ? nowMs + seconds * 1000 : parseTime(text, nowMs)
  if (at === undefined) throw new ApiError(400, 'bad_request', `until: expected an RFC 3339 time or a duration such as 2h (got ${JSON.stringify(text)})`)
  if (at <= nowMs) throw new ApiError(400, 'bad_request', `until: ${iso(at)} is not in the future`)
  if (at > nowMs + maxSeconds * 1000) throw new ApiError(400, 'bad_request', `until: ${iso(at)} is more than ${maxSeconds / 3600}h ahead (gate.maxOverrideSeconds); ask again when it ends`)
  return at
}

export function gateRoutes(deps: GateRouteDeps) {
  const { storage, catalog, config } = deps
  const now = deps.now ?? Date.now
  const app = new OpenAPIHono({ defaultHook: validationHook })

  app.openapi(getGate, async (c) => {
    const q = c.req.valid('query')
    const slos = await slosNamed(catalog, q)
    const service = slos[0]!.service
    const ids = slos.map((s) => s.id)
    const nowMs = now()
    const [evaluations, alertStates, overrides] = await Promise.all([readLatestEvaluations(storage, ids), loadAlertStates(storage, ids), listOverrides(storage, { service, activeAtMs: nowMs })])
    const paging = new Set(alertStates.filter((a) => a.severity === 'page' && a.status === 'firing').map((a) => a.sloId))
    const decision = decideGate(slos.map((slo) => ({ slo, evaluation: evaluations.get(slo.id), paging: paging.has(slo.id) })), overrides, nowMs, config)
    const used = decision.slos.flatMap((s) => (s.overrideId ? [s.overrideId] : []))
    // An audit line per decision: who asked, the answer, and the overrides it rested on.
    deps.logger.info({ gate: q, allow: decision.allow, overrides: used, by: deps.auth.identify(c.req.header('authorization')) }, 'deploy gate decision')
    return c.json(decision, 200)
  })

  app.openapi(listRoute, async (c) => {
    const q = c.req.valid('query')
    const nowMs = now()
    const overrides = await listOverrides(storage, { ...(q.service !== undefined && { service: q.service }), ...(q.active === 'true' && { activeAtMs: nowMs }) })
    return c.json({ overrides: overrides.map((o) => overrideView(o, nowMs)) }, 200)
  })

  app.openapi(createRouteDef, async (c) => {
    const body = c.req.valid('json')
    const nowMs = now()
    const [slo] = await slosNamed(catalog, body)
    const override = await createOverride(
      storage,
      { service: slo!.service, sloId: body.slo ?? null, who: body.who, why: body.why, createdBy: deps.auth.identify(c.req.header('authorization')), untilMs: untilMs(body.until, nowMs, config.maxOverrideSeconds) },
      nowMs,
    )
    deps.logger.warn({ override: overrideView(override, nowMs) }, 'deploy gate override created')
    return c.json(overrideView(override, nowMs), 201)
  })

  app.openapi(revokeRoute, async (c) => {
    const { id } = c.req.valid('param')
    const nowMs = now()
    const revoked = await revokeOverride(storage, id, deps.auth.identify(c.req.header('authorization')), nowMs)
    if (!revoked) throw new ApiError(404, 'not_found', `no gate override with id ${JSON.stringify(id)}`)
    deps.logger.warn({ override: overrideView(revoked, nowMs) }, 'deploy gate override revoked')
    return c.json(overrideView(revoked, nowMs), 200)
  })
  return app
}
