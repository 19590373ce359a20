import { OpenAPIHono, createRoute, z } from '@hono/zod-openapi'
import { generatePrometheusRules, type RuleOptions } from '../../alerts/index.ts'
import type { SloCatalog } from '../../slo-engine/index.ts'
import { errorResponse, validationHook } from '../errors.ts'
import { requireSlo } from '../slo-lookup.ts'

export interface RuleRouteDeps {
  catalog: SloCatalog
  ruleOptions?: RuleOptions
}

const getRules = createRoute({
  method: 'get',
  path: '/',
  summary: 'Prometheus rules for the SLOs',
  description:
    'One Prometheus rule file (YAML): Sloth-compatible recording and alert rules for PromQL SLIs, alert rules over cairn_slo_burn_rate for SLIs cairn computes. The same alert policy the engine pages with. Deterministic: the same SLOs give the same bytes.',
  tags: ['rules'],
  request: {
    query: z.object({
      slo: z.string().min(1, 'expected an SLO id').optional().openapi({ description: 'only the rules of this SLO', example: 'checkout-availability' }),
    }),
  },
  responses: {
    200: { description: 'A Prometheus rule file', content: { 'application/yaml': { schema: z.string() } } },
    400: errorResponse('A bad parameter'),
    404: errorResponse('No such SLO'),
  },
})

export function ruleRoutes(deps: RuleRouteDeps) {
  const app = new OpenAPIHono({ defaultHook: validationHook })
  app.openapi(getRules, async (c) => {
    const { slo: id } = c.req.valid('query')
    const slos = id === undefined ? await deps.catalog.list() : [await requireSlo(deps.catalog, id)]
    return c.body(generatePrometheusRules(slos, deps.ruleOptions), 200, { 'content-type': 'application/yaml; charset=utf-8' })
  })
  return app
}
