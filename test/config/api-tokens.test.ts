import { describe, expect, it } from 'vitest'
import { ConfigError, loadConfig } from '../../config/index.ts'

function problems(env: Record<string, string>): string[] {
  try {
    loadConfig(env)
  } catch (err) {
    if (err instanceof ConfigError) return err.problems
    throw err
  }
  throw new Error('expected a ConfigError')
}

describe('api.tokens', () => {
  it('defaults to none, and reads role[+role]:token lists from CAIRN_API_TOKENS', () => {
    expect(loadConfig({}).api.tokens).toEqual([])
    expect(loadConfig({ CAIRN_API_TOKENS: ' admin:0123456789abcdefAB , read+ingest:zyxwvutsrqponmlk:with-colon ' }).api.tokens).toEqual([
      { roles: ['admin'], token: '0123456789abcdefAB' },
      { roles: ['read', 'ingest'], token: 'zyxwvutsrqponmlk:with-colon' },
    ])
  })

  it('names the variable and the problem, never the token', () => {
    const secret = 'tooshort'
    const cases: Array<[string, string]> = [
      [`admin:${secret}`, 'CAIRN_API_TOKENS: api.tokens.0.token: expected a token of at least 16 characters'],
      [`root:${secret}0123456789abcdef`, 'CAIRN_API_TOKENS: api.tokens.0.roles.0: expected roles among ingest, read, admin'],
      [`${secret}0123456789abcdef`, 'CAIRN_API_TOKENS: api.tokens.0.roles: expected at least one role'],
    ]
    for (const [value, message] of cases) {
      const found = problems({ CAIRN_API_TOKENS: value })
      expect(found).toEqual([message])
      expect(found.join('\n')).not.toContain(secret)
    }
  })
})
