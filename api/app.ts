import { OpenAPIHono } from '@hono/zod-openapi'
import type { Hono, MiddlewareHandler } from 'hono'
import { configSchema, type ApiReadLimits, type ApiRole, type GateConfig } from '../config/index.ts'
import type { Logger } from '../instrumentation/index.ts'
import type { Storage } from '../storage/index.ts'
import { createIsolation, type Isolation } from '../isolation/index.ts'
import { requireRole, type Authorizer } from './auth.ts'
import { errorHandler, notFound, validationHook } from './errors.ts'
import { logRoutes } from './routes/logs.ts'
import { traceRoutes } from './routes/traces.ts'
import { dashboardRoutes } from './routes/dashboards.ts'
import { ruleRoutes } from './routes/rules.ts'
import { sloRoutes } from './routes/slos.ts'
import { alertRoutes } from './routes/alerts.ts'
import { trendRoutes } from './routes/trends.ts'
import { gateRoutes } from './routes/gate.ts'
import { attributionRoutes } from './routes/attribution.ts'
import { reportRoutes } from './routes/reports.ts'
import { staleAfterSeconds, type RuleOptions } from '../alerts/index.ts'
import type { SloCatalog, SpecParseOptions } from '../slo-engine/index.ts'
import { telemetryReads } from './reads.ts'
import type { PolicyResolver } from '../dashboards/index.ts'
import { uiRoutes } from '../ui/index.ts'

export interface ApiDeps {
  storage: Storage
  logger: Logger
  auth: Authorizer
  catalog: SloCatalog
  /** The alerting component's policy per SLO, for burn-rate thresholds on dashboards. */
  resolvePolicy?: PolicyResolver
  /** How long GET /api/v1/slos reuses its answer (ms); default 0. */
  statusCacheMs?: number
  /** Options of the rule generator (Sloth period, windows files), as `cairn rules` takes them. */
  ruleOptions?: RuleOptions
  /** The process's body budget and parse workers, shared with the collector; an API alone gets its own. */
  isolation?: Isolation
  /** Bounds of log and trace reads (api.reads); default the config's defaults. */
  reads?: ApiReadLimits
  /** Checks of validate beyond the spec itself (the notification URL allow-list). */
  parseOptions?: SpecParseOptions
  /** The deploy gate's policies and limits; default the config's defaults. */
  gate?: GateConfig
}

export const API_PREFIX = '/api/v1'

/** Reads need `read`; changes need `admin`. Validating a spec changes nothing, so it is a read. */
function roleFor(method: string, path: string): ApiRole {
  if (method === 'GET' || method === 'HEAD') return 'read'
  if (method === 'POST' && path === `${API_PREFIX}/slos/validate`) return 'read'
  return 'admin'
}

function authorization(auth: Authorizer): MiddlewareHandler {
  const byRole = new Map((['read', 'admin'] as const).map((role) => [role, requireRole(auth, role)]))
  return (c, next) => byRole.get(roleFor(c.req.method, c.req.path) as 'read' | 'admin')!(c, next)
}

/**
 * The HTTP API: one sub-app per resource under /api/v1, JSON errors, and the
 * OpenAPI 3 document at /openapi.json built from the zod schemas that
 * validate the requests.
 */
export function createApi(deps: ApiDeps): OpenAPIHono {
  const app = new OpenAPIHono({ defaultHook: validationHook })
  app.use(`${API_PREFIX}/*`, authorization(deps.auth))
  const staleAfterMs = staleAfterSeconds(deps.ruleOptions) * 1000
  app.route(`${API_PREFIX}/slos`, sloRoutes({ storage: deps.storage, catalog: deps.catalog, statusCacheMs: deps.statusCacheMs ?? 0, parseOptions: deps.parseOptions, isolation: deps.isolation ?? createIsolation(), staleAfterMs }))
  app.route(`${API_PREFIX}/rules`, ruleRoutes(deps))
  app.route(`${API_PREFIX}/dashboards`, dashboardRoutes(deps))
  const reads = telemetryReads(deps.storage, deps.reads)
  app.route(`${API_PREFIX}/slos`, attributionRoutes({ catalog: deps.catalog, reads }))
  app.route(`${API_PREFIX}/traces`, traceRoutes(reads))
  app.route(`${API_PREFIX}/logs`, logRoutes(reads))
  app.route(`${API_PREFIX}/alerts`, alertRoutes(deps))
  app.route(`${API_PREFIX}/trends`, trendRoutes(deps.storage))
  app.route(`${API_PREFIX}/reports`, reportRoutes({ storage: deps.storage, catalog: deps.catalog, reads }))
  app.route(`${API_PREFIX}/gate`, gateRoutes({ storage: deps.storage, catalog: deps.catalog, logger: deps.logger, auth: deps.auth, config: deps.gate ?? configSchema.parse({}).gate }))

  // The web UI's pages (/, /slos/{id}, /validate, /ui/assets/*): open shells whose data calls go through the API above.
  app.route('/', uiRoutes())

  app.openAPIRegistry.registerComponent('securitySchemes', 'bearer', {
    type: 'http',
    scheme: 'bearer',
    description: 'A token from CAIRN_API_TOKENS: reads need the read role, changes the admin role. Open when no token is configured.',
  })
  app.doc31('/openapi.json', {
    openapi: '3.1.0',
    info: { title: 'cairn API', version: 'v1', description: 'SLO status, history, rules and dashboards; traces and logs from the stored telemetry.' },
    security: [{ bearer: [] }],
  })
  app.notFound(notFound)
  app.onError(errorHandler(deps.logger))
  return app
}

/** Mounts the API on the process's app, with its JSON 404 and error answers for every path. */
export function attachApi(app: Hono, deps: ApiDeps): void {
  app.route('/', createApi(deps))
  app.notFound(notFound)
  app.onError(errorHandler(deps.logger))
}
