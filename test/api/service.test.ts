import { afterAll, describe, expect, it } from 'vitest'
import { startCairn } from '../support/cairn-process.ts'
import { tempDir } from '../support/temp.ts'

// The API as `cairn serve` runs it: mounted, protected by CAIRN_API_TOKENS,
// warning when open, and never printing a token.

const dir = tempDir()
afterAll(() => dir.remove())

const ADMIN = 'svc-admin-token-0123456789abcdef'
const READ = 'svc-read-token-0123456789abcdef'
const INGEST = 'svc-ingest-token-0123456789abcd'

describe('cairn serve with the API', () => {
  it('warns at start-up when no token is configured, and serves the API open', async () => {
    const cairn = await startCairn({ CAIRN_DATA_DIR: dir.path })
    try {
      const warning = cairn.output().split('\n').filter((l) => l.includes('no API tokens configured'))
      expect(warning).toHaveLength(1)
      expect(JSON.parse(warning[0]!).level).toBe('warn')
      expect((await fetch(`${cairn.apiUrl}/api/v1/logs`)).status).toBe(200)
      const doc = (await (await fetch(`${cairn.apiUrl}/openapi.json`)).json()) as { openapi: string }
      expect(doc.openapi).toBe('3.1.0')
    } finally {
      expect(await cairn.stop()).toBe(0)
    }
  })

  it('enforces tokens from CAIRN_API_TOKENS and never prints them', async () => {
    const cairn = await startCairn({ CAIRN_DATA_DIR: dir.path, CAIRN_API_TOKENS: `admin:${ADMIN},read:${READ},ingest:${INGEST}`, CAIRN_LOG_LEVEL: 'trace' })
    try {
      expect(cairn.output()).not.toContain('no API tokens configured')
      const get = (token?: string) => fetch(`${cairn.apiUrl}/api/v1/logs`, { headers: token ? { authorization: `Bearer ${token}` } : {} })
      expect((await get()).status).toBe(401)
      expect((await get('wrong-token-0123456789abcdef')).status).toBe(401)
      expect((await get(READ)).status).toBe(200)
      expect((await get(ADMIN)).status).toBe(200)
      const del = await fetch(`${cairn.apiUrl}/api/v1/slos/anything`, { method: 'DELETE', headers: { authorization: `Bearer ${READ}` } })
      expect(del.status).toBe(403)
      // The collector's OTLP endpoints need the ingest role.
      const send = (token?: string) =>
        fetch(`${cairn.otlpUrl}/v1/traces`, { method: 'POST', headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) }, body: '{"resourceSpans":[]}' })
      expect((await send()).status).toBe(401)
      expect((await send(READ)).status).toBe(403)
      expect((await send(INGEST)).status).toBe(200)
      expect((await send(ADMIN)).status).toBe(200)
    } finally {
      expect(await cairn.stop()).toBe(0)
    }
    for (const token of [ADMIN, READ, INGEST]) expect(cairn.output()).not.toContain(token)
  })
})
