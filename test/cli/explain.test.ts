import { execFile } from 'node:child_process'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { configSchema } from '../../config/index.ts'
import type { Storage } from '../../storage/index.ts'
import { Hono } from 'hono'
import { attachApi, createAuthorizer, listen, type ListeningServer } from '../../api/index.ts'
import { createLogger } from '../../instrumentation/index.ts'
import { freePort } from '../support/ports.ts'
import { openMigratedStorage, seedCatalog } from '../support/storage.ts'
import { tempDir } from '../support/temp.ts'

// `cairn explain` as a user runs it (bin/cairn.js in a child process) against
// a real API over the embedded engine, behind a bearer token.

const dir = tempDir()
const config = configSchema.parse({ storage: { dataDir: join(dir.path, 'data') } })
const TOKEN = 'explain-read-token-0123456789'
const cairn = join(import.meta.dirname, '../../bin/cairn.js')
let storage: Storage
let server: ListeningServer

const SPEC = `apiVersion: cairn/v1
kind: SLO
metadata: { name: availability, service: shop }
spec: { objective: 99, window: 30d, sli: { spans: { service: shop, bad: error } } }
`

/** 100 spans in the last 10 minutes: /pay 20 of them, 9 failing; /home 80, 1 failing. B = 10: /pay holds 90 % of the burn. */
function spans() {
  const now = Date.now()
  return Array.from({ length: 100 }, (_, i) => {
    const pay = i < 20
    return {
      Timestamp: new Date(now - 600_000 + i * 1000).toISOString().replace('T', ' ').replace('Z', ''),
      TraceId: i.toString(16).padStart(32, '0'),
      SpanId: i.toString(16).padStart(16, '0'),
      SpanName: pay ? 'POST /pay' : 'GET /home',
      ServiceName: 'shop',
      SpanKind: 'Server',
      StatusCode: (pay ? i < 9 : i === 50) ? 'Error' : 'Ok',
      SpanAttributes: { 'http.route': pay ? '/pay' : '/home' },
      ResourceAttributes: { 'service.name': 'shop' },
    }
  })
}

beforeAll(async () => {
  storage = await openMigratedStorage(config)
  const catalog = await seedCatalog(storage, join(dir.path, 'slos'), { 'shop.yaml': SPEC })
  await storage.insertRows('otel_traces', spans())
  const auth = createAuthorizer([{ token: TOKEN, roles: ['read'] }])
  const app = new Hono()
  attachApi(app, { storage, logger: createLogger('silent'), auth, catalog })
  server = await listen(app, '127.0.0.1', 0)
})
afterAll(async () => {
  await server?.close()
  await storage?.close()
  dir.remove()
})

async function explain(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [cairn, 'explain', ...args], { encoding: 'utf8', env: { ...process.env, CAIRN_URL: '', CAIRN_TOKEN: '' } })
    return { code: 0, stdout, stderr }
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string }
    return { code: e.code, stdout: e.stdout, stderr: e.stderr }
  }
}

describe('cairn explain', () => {
  it('prints the values behind the burn with their shares and example traces', async () => {
    const r = await explain('shop-availability', '--from', '1h', '--url', `http://127.0.0.1:${server.port}`, '--token', TOKEN)
    expect(r.stderr).toBe('')
    expect(r.code).toBe(0)
    expect(r.stdout).toContain('shop-availability (spans)')
    expect(r.stdout).toContain('10 bad of 100 events (10.0 %; the objective allows 1.0 %)')
    expect(r.stdout).toMatch(/http\.route\s+\(concentration 0\.70\)/)
    expect(r.stdout).toMatch(/\/pay\s+90\.0 % of the burn\s+9\/20 bad \(45\.0 %\)\s+e\.g\. trace 0{31}0, 0{31}1/)
  })

  it('prints the API answer with --json', async () => {
    const r = await explain('shop-availability', '--json', '--dimensions=http.route', '--url', `http://127.0.0.1:${server.port}/`, '--token', TOKEN)
    expect(r.code).toBe(0)
    expect(JSON.parse(r.stdout)).toMatchObject({ sloId: 'shop-availability', bad: 10, total: 100, dimensions: [{ key: 'http.route', source: 'query' }] })
  })

  it('exits 1 with the API message on an API error', async () => {
    const url = `http://127.0.0.1:${server.port}`
    expect(await explain('nope', '--url', url, '--token', TOKEN)).toMatchObject({ code: 1, stderr: expect.stringContaining('404 no SLO with id "nope"') })
    expect(await explain('shop-availability', '--url', url)).toMatchObject({ code: 1, stderr: expect.stringContaining('401') })
    expect(await explain('shop-availability', '--from', 'yesterday', '--url', url, '--token', TOKEN)).toMatchObject({ code: 1, stderr: expect.stringContaining('from') })
  })

  it('exits 2 on usage and connection errors', async () => {
    expect(await explain()).toMatchObject({ code: 2, stderr: expect.stringContaining('expected one SLO id') })
    expect(await explain('a', '--bogus')).toMatchObject({ code: 2, stderr: expect.stringContaining('unknown option --bogus') })
    expect(await explain('a', '--url', 'ftp://x')).toMatchObject({ code: 2, stderr: expect.stringContaining('--url') })
    expect(await explain('a', '--url', `http://127.0.0.1:${await freePort()}`)).toMatchObject({ code: 2, stderr: expect.stringContaining('cannot reach') })
  })
})
