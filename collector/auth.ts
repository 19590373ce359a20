import type { IncomingMessage } from 'node:http'
import { HttpError } from './http/body.ts'

/**
 * Decides from the Authorization header whether a sender may write. Provided by
 * the API component (tokens and roles); without it the collector accepts all.
 */
export type Authorize = (authorizationHeader: string | undefined) => 'ok' | 'unauthorized' | 'forbidden'

/** Throws 401/403 before anything of the body is read. */
export function authorizeRequest(authorize: Authorize | undefined, req: IncomingMessage): void {
  if (!authorize) return
  const verdict = authorize(req.headers.authorization)
  if (verdict === 'unauthorized') {
    throw new HttpError(401, 'missing or invalid credentials: send Authorization: Bearer <token>', { 'www-authenticate': 'Bearer realm="cairn"' })
  }
  if (verdict === 'forbidden') throw new HttpError(403, 'this token may not write telemetry')
}
