import { Hono } from 'hono'
import type { Registry } from '../instrumentation/index.ts'
import { errorBody } from './error-body.ts'
import { requireRole, type Authorizer } from './auth.ts'

export interface Readiness {
  /** Resolves to undefined when ready, or to the reason the process is not. */
  check(): Promise<string | undefined>
  /** Extra facts for the /readyz body (the engine's backfill progress), ready or not. */
  detail?(): Record<string, unknown>
}

/**
 * `/healthz` (the process answers), `/readyz` (storage reachable and migrated)
 * and `/metrics`. Probes stay open; `/metrics` (SLO names, services, traffic)
 * needs a token with the read role once tokens are configured, as the API does.
 */
export function healthRoutes(readiness: Readiness, registry: Registry, auth?: Authorizer): Hono {
  const app = new Hono()
  if (auth) app.use('/metrics', requireRole(auth, 'read'))
  app.get('/healthz', (c) => c.json({ status: 'ok' }))
  app.get('/readyz', async (c) => {
    const reason = await readiness.check()
    const detail = readiness.detail?.() ?? {}
    return reason === undefined ? c.json({ status: 'ready', ...detail }) : c.json({ ...errorBody('unavailable', `not ready: ${reason}`), ...detail }, 503)
  })
  app.get('/metrics', async (c) => {
    const body = await registry.metrics()
    return c.body(body, 200, { 'content-type': registry.contentType })
  })
  return app
}
