import { Hono } from 'hono'
import type { Registry } from '../instrumentation/index.ts'

export interface Readiness {
  /** Resolves to undefined when ready, or to the reason the process is not. */
  check(): Promise<string | undefined>
  /** Extra facts for the /readyz body (the engine's backfill progress), ready or not. */
  detail?(): Record<string, unknown>
}

/** `/healthz` (the process answers), `/readyz` (storage reachable and migrated) and `/metrics`. */
export function healthRoutes(readiness: Readiness, registry: Registry): Hono {
  const app = new Hono()
  app.get('/healthz', (c) => c.json({ status: 'ok' }))
  app.get('/readyz', async (c) => {
    const reason = await readiness.check()
    const detail = readiness.detail?.() ?? {}
    return reason === undefined ? c.json({ status: 'ready', ...detail }) : c.json({ status: 'not ready', reason, ...detail }, 503)
  })
  app.get('/metrics', async (c) => {
    const body = await registry.metrics()
    return c.body(body, 200, { 'content-type': registry.contentType })
  })
  return app
}
