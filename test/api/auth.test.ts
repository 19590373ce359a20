import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Hono } from 'hono'
import { configSchema } from '../../config/index.ts'
import type { Storage } from '../../storage/index.ts'
import { attachApi, createAuthorizer, healthRoutes } from '../../api/index.ts'
import { createSloCatalog } from '../../slo-engine/index.ts'
import { createLogger, createMetricsRegistry } from '../../instrumentation/index.ts'
import { openMigratedStorage } from '../support/storage.ts'
import { tempDir } from '../support/temp.ts'

// Bearer tokens and roles, on the API as the service mounts it.

const ADMIN = 'admin-token-0123456789abcdef'
const READ = 'read-token-0123456789abcdef'
const INGEST = 'ingest-token-0123456789abcdef'
const BOTH = 'read-ingest-token-0123456789ab'
const tokens = [
  { token: ADMIN, roles: ['admin' as const] },
  { token: READ, roles: ['read' as const] },
  { token: INGEST, roles: ['ingest' as const] },
  { token: BOTH, roles: ['read' as const, 'ingest' as const] },
]

describe('createAuthorizer', () => {
  const auth = createAuthorizer(tokens)
  it.each([
    [undefined, 'read', 'unauthorized'],
    ['', 'read', 'unauthorized'],
    [`Basic ${ADMIN}`, 'read', 'unauthorized'],
    ['Bearer', 'read', 'unauthorized'],
    ['Bearer wrong-token-0123456789abcdef', 'read', 'unauthorized'],
    [`Bearer ${READ}x`, 'read', 'unauthorized'],
    [`Bearer ${READ.slice(0, -1)}`, 'read', 'unauthorized'],
    [`Bearer ${READ}`, 'read', 'ok'],
    [`bearer ${READ}`, 'read', 'ok'],
    [`Bearer ${READ}`, 'admin', 'forbidden'],
    [`Bearer ${READ}`, 'ingest', 'forbidden'],
    [`Bearer ${INGEST}`, 'ingest', 'ok'],
    [`Bearer ${INGEST}`, 'read', 'forbidden'],
    [`Bearer ${BOTH}`, 'ingest', 'ok'],
    [`Bearer ${BOTH}`, 'read', 'ok'],
    [`Bearer ${BOTH}`, 'admin', 'forbidden'],
    [`Bearer ${ADMIN}`, 'admin', 'ok'],
    [`Bearer ${ADMIN}`, 'read', 'ok'],
    [`Bearer ${ADMIN}`, 'ingest', 'ok'],
  ] as const)('%s asking for %s → %s', (header, role, decision) => {
    expect(auth.authorize(header, role)).toBe(decision)
  })

  it('lets everything through when no token is configured', () => {
    const open = createAuthorizer([])
    expect(open.enabled).toBe(false)
    expect(open.authorize(undefined, 'admin')).toBe('ok')
    expect(auth.enabled).toBe(true)
  })
})

const dir = tempDir()
const config = configSchema.parse({ storage: { dataDir: dir.path } })
let storage: Storage
let app: Hono

beforeAll(async () => {
  storage = await openMigratedStorage(config)
  const logger = createLogger('silent')
  app = new Hono()
  app.route('/', healthRoutes({ check: async () => undefined }, createMetricsRegistry(), createAuthorizer(tokens)))
  attachApi(app, { storage, logger, auth: createAuthorizer(tokens), catalog: createSloCatalog({ storage, sloDir: undefined, logger }) })
})
afterAll(async () => {
  await storage?.close()
  dir.remove()
})

const call = async (method: string, path: string, token?: string) => {
  const res = await app.request(path, { method, headers: token ? { authorization: `Bearer ${token}` } : {} })
  return { status: res.status, body: res.headers.get('content-type')?.includes('json') ? await res.json() : await res.text(), challenge: res.headers.get('www-authenticate') }
}

describe('API authorization', () => {
  it('answers 401 with a challenge without a valid token', async () => {
    for (const token of [undefined, 'not-a-configured-token-000000']) {
      expect(await call('GET', '/api/v1/logs', token)).toEqual({
        status: 401,
        body: { error: { code: 'unauthorized', message: 'a bearer token is required (Authorization: Bearer <token>)' } },
        challenge: 'Bearer realm="cairn"',
      })
    }
  })

  it('answers 403 when the token lacks the role', async () => {
    expect(await call('GET', '/api/v1/logs', INGEST)).toMatchObject({ status: 403, body: { error: { code: 'forbidden', message: 'this token lacks the read role' } } })
    expect(await call('DELETE', '/api/v1/slos/x', READ)).toMatchObject({ status: 403, body: { error: { code: 'forbidden', message: 'this token lacks the admin role' } } })
  })

  it('serves reads to read and admin tokens', async () => {
    for (const token of [READ, ADMIN, BOTH]) expect((await call('GET', '/api/v1/logs', token)).status).toBe(200)
  })

  it('keeps probes and the OpenAPI document open', async () => {
    for (const path of ['/healthz', '/readyz', '/openapi.json']) expect((await call('GET', path)).status).toBe(200)
  })

  // Changed on purpose (issue 10, secure by default): Prometheus scrapes with a token, as deploy/ configures it.
  it('asks for a read token on /metrics', async () => {
    expect((await call('GET', '/metrics')).status).toBe(401)
    expect((await call('GET', '/metrics', INGEST)).status).toBe(403)
    for (const token of [READ, ADMIN]) expect((await call('GET', '/metrics', token)).status).toBe(200)
  })

  it('asks for a token before saying whether a route exists', async () => {
    expect((await call('GET', '/api/v1/nothing')).status).toBe(401)
    expect(await call('GET', '/api/v1/nothing', READ)).toMatchObject({ status: 404, body: { error: { code: 'not_found' } } })
    expect(await call('GET', '/elsewhere')).toMatchObject({ status: 404, body: { error: { code: 'not_found', message: 'no route GET /elsewhere' } } })
  })


  it('applies the roles to every documented route', async () => {
    const doc = (await (await app.request('/openapi.json')).json()) as { paths: Record<string, Record<string, unknown>> }
    const routes = Object.entries(doc.paths).flatMap(([path, ops]) => Object.keys(ops).map((method) => ({ method: method.toUpperCase(), path })))
    // 16, the deploy gate's 4 (GET gate, GET/POST overrides, DELETE an override) and attribution.
    expect(routes.length).toBe(22)
    for (const { method, path } of routes) {
      const url = path.replace('{traceId}', '0123456789abcdef0123456789abcdef').replace(/\{[^}]+\}/g, 'x')
      // Changes need admin; POST /slos/validate changes nothing and is a read.
      const mutation = method === 'PUT' || method === 'DELETE' || (method === 'POST' && !path.endsWith('/validate'))
      const status = async (token?: string) => (await call(method, url, token)).status
      expect(await status(), `${method} ${path} without a token`).toBe(401)
      expect(await status(INGEST), `${method} ${path} with ingest`).toBe(403)
      if (mutation) expect(await status(READ), `${method} ${path} with read`).toBe(403)
      else expect([401, 403], `${method} ${path} with read`).not.toContain(await status(READ))
      expect([401, 403], `${method} ${path} with admin`).not.toContain(await status(ADMIN))
    }
  })
})
