import { OpenAPIHono, createRoute, z } from '@hono/zod-openapi'
import { alertPolicyFor, loadAlertStateChanges, loadAlertStates, type AlertPolicy } from '../../alerts/index.ts'
import { formatDuration, type SloCatalog } from '../../slo-engine/index.ts'
import type { Storage } from '../../storage/index.ts'
import type { PolicyResolver } from '../../dashboards/index.ts'
import { errorResponse, validationHook } from '../errors.ts'
import { requireSlo } from '../slo-lookup.ts'
import { alertViewsBySlo } from '../status.ts'
import { iso } from '../time.ts'

// The alert policy each SLO is paged with (windows and thresholds, as the
// engine and the generated rules use them) and its recorded alert state
// changes: what a burn-rate table and an alert history need.

export interface AlertRouteDeps {
  storage: Storage
  catalog: SloCatalog
  resolvePolicy?: PolicyResolver
}

const PolicyWindowSchema = z.object({
  severity: z.enum(['page', 'ticket']),
  speed: z.enum(['quick', 'slow']),
  budgetPercent: z.number().openapi({ description: 'share of the period budget spent within the long window that fires' }),
  shortWindow: z.string().openapi({ example: '5m', description: 'the key of its burn rate in status.burnRates' }),
  longWindow: z.string().openapi({ example: '1h' }),
  threshold: z.number().openapi({ example: 14.4, description: 'burn rate both windows must exceed' }),
})

const PolicySchema = z
  .object({ periodSeconds: z.number(), source: z.string().openapi({ description: 'reference, derived, windows-file or slo' }), windows: z.array(PolicyWindowSchema) })
  .openapi('AlertPolicy')

const ChangeSchema = z
  .object({ severity: z.string(), state: z.string(), activeSince: z.string().nullable(), firedAt: z.string().nullable(), resolvedAt: z.string().nullable(), updatedAt: z.string() })
  .openapi('AlertStateChange')

const listPolicies = createRoute({
  method: 'get',
  path: '/policies',
  summary: 'The alert policy of every SLO',
  description: 'Distinct policies once each, and the index of its policy per SLO id.',
  tags: ['alerts'],
  responses: { 200: { description: 'The policies', content: { 'application/json': { schema: z.object({ policies: z.array(PolicySchema), slos: z.record(z.string(), z.number().int()) }) } } } },
})

const getAlerts = createRoute({
  method: 'get',
  path: '/{id}',
  summary: "One SLO's alert policy, current alert state and recorded state changes",
  tags: ['alerts'],
  request: { params: z.object({ id: z.string().min(1).max(256).openapi({ param: { name: 'id', in: 'path' }, example: 'checkout-availability' }) }) },
  responses: {
    200: {
      description: 'Policy, state and history',
      content: { 'application/json': { schema: z.object({ sloId: z.string(), policy: PolicySchema, current: z.record(z.string(), z.unknown()), history: z.array(ChangeSchema) }) } },
    },
    404: errorResponse('No such SLO'),
  },
})

function policyView(policy: AlertPolicy): z.infer<typeof PolicySchema> {
  return {
    periodSeconds: policy.periodSeconds,
    source: policy.source,
    windows: policy.pairs.map((p) => ({
      severity: p.severity,
      speed: p.speed,
      budgetPercent: p.budgetPercent,
      shortWindow: formatDuration(p.shortWindowSeconds),
      longWindow: formatDuration(p.longWindowSeconds),
      threshold: p.burnRateFactor,
    })),
  }
}

const isoOrNull = (ms: number | undefined) => (ms === undefined ? null : iso(ms))

export function alertRoutes(deps: AlertRouteDeps) {
  const resolve = deps.resolvePolicy ?? ((slo) => alertPolicyFor(slo))
  const app = new OpenAPIHono({ defaultHook: validationHook })

  app.openapi(listPolicies, async (c) => {
    const policies: z.infer<typeof PolicySchema>[] = []
    const indexByKey = new Map<string, number>()
    const slos: Record<string, number> = {}
    for (const slo of await deps.catalog.list()) {
      const view = policyView(resolve(slo))
      const key = JSON.stringify(view)
      if (!indexByKey.has(key)) indexByKey.set(key, policies.push(view) - 1)
      slos[slo.id] = indexByKey.get(key)!
    }
    return c.json({ policies, slos }, 200)
  })

  app.openapi(getAlerts, async (c) => {
    const slo = await requireSlo(deps.catalog, c.req.valid('param').id)
    const [states, changes] = await Promise.all([loadAlertStates(deps.storage, [slo.id]), loadAlertStateChanges(deps.storage, slo.id)])
    const history = changes.map((h) => ({
      severity: h.severity,
      state: h.status,
      activeSince: isoOrNull(h.activeSinceMs),
      firedAt: isoOrNull(h.firedAtMs),
      resolvedAt: isoOrNull(h.resolvedAtMs),
      updatedAt: iso(h.updatedAtMs),
    }))
    return c.json({ sloId: slo.id, policy: policyView(resolve(slo)), current: alertViewsBySlo(states).get(slo.id) ?? {}, history }, 200)
  })
  return app
}
