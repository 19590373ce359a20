import { networkInterfaces } from 'node:os'
import { afterAll, describe, expect, it } from 'vitest'
import { ConfigError, configSchema, loadConfig } from '../../config/index.ts'
import { isLoopback, listenHost } from '../../cli/listen-host.ts'
import { runCairn, startCairn } from '../support/cairn-process.ts'
import { tempDir } from '../support/temp.ts'

// Secure by default: without tokens cairn serves its own machine only, unless
// CAIRN_AUTH=none says otherwise; an explicit public address without tokens is refused.

const dir = tempDir()
afterAll(() => dir.remove())
const TOKEN = 'admin:listen-host-admin-token-0123'
const config = (api: Record<string, unknown>, host?: string) => configSchema.parse({ api, ...(host && { host }) })
/** An address of this machine other hosts could reach, when it has one. */
const external = Object.values(networkInterfaces()).flat().find((a) => a && a.family === 'IPv4' && !a.internal)?.address

describe('listenHost', () => {
  it('listens on every interface with tokens or CAIRN_AUTH=none, on loopback otherwise', () => {
    expect(listenHost(config({ tokens: TOKEN }))).toEqual({ host: '0.0.0.0' })
    expect(listenHost(config({ auth: 'none' }))).toEqual({ host: '0.0.0.0', openBecause: 'auth-none' })
    expect(listenHost(config({}))).toEqual({ host: '127.0.0.1', openBecause: 'loopback-only' })
    expect(listenHost(config({}, '::1'))).toEqual({ host: '::1', openBecause: 'loopback-only' })
    expect(listenHost(config({ tokens: TOKEN }, '10.1.2.3'))).toEqual({ host: '10.1.2.3' })
  })

  it('refuses an explicit non-loopback address without tokens, saying what to set', () => {
    expect(() => listenHost(config({}, '0.0.0.0'))).toThrow(
      'refusing to listen on 0.0.0.0 (CAIRN_HOST) without authentication: configure tokens (CAIRN_API_TOKENS), or set CAIRN_AUTH=none to serve without authentication on purpose',
    )
  })

  it('knows loopback addresses', () => {
    expect(['127.0.0.1', '127.1.2.3', 'localhost', '::1', '[::1]'].map(isLoopback)).toEqual([true, true, true, true, true])
    expect(['0.0.0.0', '::', '10.0.0.1', '127.0.0.1.example.com'].map(isLoopback)).toEqual([false, false, false, false])
  })

  it('refuses CAIRN_AUTH=none beside tokens, and tokens mode without any', () => {
    expect(() => config({ auth: 'none', tokens: TOKEN })).toThrow(/none turns authentication off, but tokens are configured/)
    expect(() => config({ auth: 'tokens' })).toThrow(/tokens needs at least one token/)
  })
})

describe('configuration of authentication and notify URLs', () => {
  const problems = (env: Record<string, string>) => {
    try {
      loadConfig(env)
      return []
    } catch (err) {
      return (err as ConfigError).problems
    }
  }

  it('names the variable of a bad CAIRN_AUTH or CAIRN_NOTIFY_URL_ALLOWLIST', () => {
    expect(problems({ CAIRN_AUTH: 'off' })).toEqual(['CAIRN_AUTH: api.auth: expected tokens or none (got "off")'])
    expect(problems({ CAIRN_NOTIFY_URL_ALLOWLIST: 'https://hooks.example.com/, ftp://x' })).toEqual([
      'CAIRN_NOTIFY_URL_ALLOWLIST: alerts.notifyUrlAllowlist.1: expected an http:// or https:// URL',
    ])
    expect(loadConfig({ CAIRN_NOTIFY_URL_ALLOWLIST: ' https://a.example.com/x/ , http://b.example.com:9093 ' }).alerts.notifyUrlAllowlist).toEqual(['https://a.example.com/x/', 'http://b.example.com:9093'])
  })
})

describe('cairn serve', () => {
  const env = (extra: Record<string, string>) => ({ CAIRN_DATA_DIR: dir.path, CAIRN_SLO_DIR: dir.path, CAIRN_HOST: '', ...extra })

  it('without tokens listens on loopback only, and says how to open it', async () => {
    const cairn = await startCairn(env({}))
    try {
      expect((await fetch(`${cairn.apiUrl}/healthz`)).status).toBe(200)
      const warning = cairn.output().split('\n').find((l) => l.includes('listening on loopback only'))
      expect(JSON.parse(warning!)).toMatchObject({ level: 'warn', host: '127.0.0.1' })
      if (external) await expect(fetch(`http://${external}:${cairn.apiPort}/healthz`)).rejects.toThrow()
    } finally {
      await cairn.stop()
    }
  })

  it('with CAIRN_AUTH=none listens on every interface and warns', async () => {
    const cairn = await startCairn(env({ CAIRN_AUTH: 'none' }))
    try {
      const warning = cairn.output().split('\n').find((l) => l.includes('CAIRN_AUTH=none'))
      expect(JSON.parse(warning!)).toMatchObject({ level: 'warn', host: '0.0.0.0' })
      if (external) expect((await fetch(`http://${external}:${cairn.apiPort}/healthz`)).status).toBe(200)
    } finally {
      await cairn.stop()
    }
  })

  it('exits 2 before opening anything when told to listen on 0.0.0.0 without tokens', async () => {
    const run = await runCairn(['serve'], env({ CAIRN_HOST: '0.0.0.0' }))
    expect(run.code).toBe(2)
    expect(run.stderr).toContain('refusing to listen on 0.0.0.0 (CAIRN_HOST) without authentication')
  })
})
