import { OpenAPIHono, createRoute, z } from '@hono/zod-openapi'
import { overviewDashboard, serviceDashboard, sloDashboard, type DashboardOptions, type PolicyResolver } from '../../dashboards/index.ts'
import type { SloCatalog } from '../../slo-engine/index.ts'
import { ApiError, errorResponse, validationHook } from '../errors.ts'
import { requireSlo } from '../slo-lookup.ts'

export interface DashboardRouteDeps {
  catalog: SloCatalog
  resolvePolicy?: PolicyResolver
}

const options = z.object({
  datasource: z
    .enum(['prometheus', 'clickhouse'], { error: 'expected prometheus or clickhouse' })
    .default('prometheus')
    .openapi({ description: 'prometheus: over cairn_slo_* gauges and the generated recording rules; clickhouse: SQL over cairn and otel_* tables' }),
  datasourceUid: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,40}$/, 'expected a Grafana data source uid (letters, digits, - and _, at most 40)')
    .optional()
    .openapi({ description: 'uid of the data source in Grafana; default cairn-prometheus or cairn-clickhouse' }),
})

const DashboardSchema = z.record(z.string(), z.unknown()).openapi('GrafanaDashboard', { description: 'Grafana dashboard JSON (schemaVersion 42), ready for POST /api/dashboards/db or file provisioning' })
const ok = { description: 'Grafana dashboard JSON', content: { 'application/json': { schema: DashboardSchema } } }

const sloRoute = createRoute({
  method: 'get',
  path: '/slo/{id}',
  summary: "One SLO's dashboard",
  tags: ['dashboards'],
  request: { params: z.object({ id: z.string().min(1).openapi({ param: { name: 'id', in: 'path' }, example: 'checkout-availability' }) }), query: options },
  responses: { 200: ok, 400: errorResponse('A bad parameter'), 404: errorResponse('No such SLO') },
})

const serviceRoute = createRoute({
  method: 'get',
  path: '/service/{service}',
  summary: "A service's dashboard: all its SLOs",
  tags: ['dashboards'],
  request: { params: z.object({ service: z.string().min(1).openapi({ param: { name: 'service', in: 'path' }, example: 'checkout' }) }), query: options },
  responses: { 200: ok, 400: errorResponse('A bad parameter'), 404: errorResponse('No SLO of that service') },
})

const overviewRoute = createRoute({
  method: 'get',
  path: '/overview',
  summary: 'Every SLO, sorted by remaining error budget',
  tags: ['dashboards'],
  request: { query: options },
  responses: { 200: ok, 400: errorResponse('A bad parameter') },
})

export function dashboardRoutes(deps: DashboardRouteDeps) {
  const app = new OpenAPIHono({ defaultHook: validationHook })
  const opts = (q: z.infer<typeof options>): DashboardOptions => ({ flavour: q.datasource, datasourceUid: q.datasourceUid, resolvePolicy: deps.resolvePolicy })

  app.openapi(sloRoute, async (c) => {
    const { id } = c.req.valid('param')
    const slo = await requireSlo(deps.catalog, id)
    return c.json(sloDashboard(slo, opts(c.req.valid('query'))) as unknown as Record<string, unknown>, 200)
  })

  app.openapi(serviceRoute, async (c) => {
    const { service } = c.req.valid('param')
    const slos = (await deps.catalog.list()).filter((s) => s.service === service)
    if (slos.length === 0) throw new ApiError(404, 'not_found', `no SLO of service ${JSON.stringify(service)}`)
    return c.json(serviceDashboard(service, slos, opts(c.req.valid('query'))) as unknown as Record<string, unknown>, 200)
  })

  app.openapi(overviewRoute, async (c) => {
    const count = (await deps.catalog.list()).length
    return c.json(overviewDashboard(count, opts(c.req.valid('query'))) as unknown as Record<string, unknown>, 200)
  })
  return app
}
