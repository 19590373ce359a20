import { createHash, timingSafeEqual } from 'node:crypto'
import type { MiddlewareHandler } from 'hono'
import type { ApiRole, ApiToken } from '../config/index.ts'
import { errorBody } from './errors.ts'

// Bearer tokens from config, each with roles. `admin` holds every role; `read`
// and `ingest` only their own. With no token configured everything is open
// (cairn warns at start-up). Tokens are compared in constant time, as SHA-256
// digests so that length does not leak either, and are never logged.

export type AuthDecision = 'ok' | 'unauthorized' | 'forbidden'

export interface Authorizer {
  /** False when no token is configured: every request is let through. */
  readonly enabled: boolean
  authorize(authorizationHeader: string | undefined, role: ApiRole): AuthDecision
  /** Who presented the header, for audit records: the token's configured name, "unnamed token", or "anonymous" without authentication. */
  identify(authorizationHeader: string | undefined): string
}

const digest = (text: string) => createHash('sha256').update(text, 'utf8').digest()

function bearerToken(header: string | undefined): string | undefined {
  const match = header === undefined ? null : /^Bearer[ ]+(\S+)\s*$/i.exec(header)
  return match?.[1]
}

export function createAuthorizer(tokens: readonly ApiToken[]): Authorizer {
  const known = tokens.map((t) => ({ digest: digest(t.token), roles: new Set<ApiRole>(t.roles), name: t.name ?? 'unnamed token' }))
  function find(header: string | undefined) {
    const presented = bearerToken(header)
    if (presented === undefined) return undefined
    const presentedDigest = digest(presented)
    let match: (typeof known)[number] | undefined
    // Every configured token is compared, matched or not, so timing says nothing about which one matched.
    for (const candidate of known) if (timingSafeEqual(candidate.digest, presentedDigest) && !match) match = candidate
    return match
  }
  return {
    enabled: known.length > 0,
    authorize(header, role) {
      if (known.length === 0) return 'ok'
      const match = find(header)
      if (!match) return 'unauthorized'
      return match.roles.has(role) || match.roles.has('admin') ? 'ok' : 'forbidden'
    },
    identify(header) {
      return known.length === 0 ? 'anonymous' : (find(header)?.name ?? 'anonymous')
    },
  }
}

/** Hono middleware: 401 without a valid token, 403 when the token lacks `role`. */
export function requireRole(auth: Authorizer, role: ApiRole): MiddlewareHandler {
  return async (c, next) => {
    const decision = auth.authorize(c.req.header('authorization'), role)
    if (decision === 'unauthorized') {
      c.header('WWW-Authenticate', 'Bearer realm="cairn"')
      return c.json(errorBody('unauthorized', 'a bearer token is required (Authorization: Bearer <token>)'), 401)
    }
    if (decision === 'forbidden') return c.json(errorBody('forbidden', `this token lacks the ${role} role`), 403)
    await next()
  }
}
