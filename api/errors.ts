import type { Context } from 'hono'
import type { ContentfulStatusCode } from 'hono/utils/http-status'
import { z } from '@hono/zod-openapi'
import type { Logger } from '../instrumentation/index.ts'
import { StorageUnavailableError } from '../storage/index.ts'

// Every error the API returns has one shape: { error: { code, message } },
// plus `details` where there is a list to give (spec errors with positions).

export type ErrorCode =
  | 'bad_request'
  | 'invalid_spec'
  | 'not_found'
  | 'unauthorized'
  | 'forbidden'
  | 'conflict'
  | 'payload_too_large'
  | 'too_many_requests'
  | 'unsupported_media_type'
  | 'unavailable'
  | 'internal'

export class ApiError extends Error {
  constructor(
    readonly status: ContentfulStatusCode,
    readonly code: ErrorCode,
    message: string,
    readonly details?: unknown[],
  ) {
    super(message)
    this.name = 'ApiError'
  }
}

/** The 404 of every route that names an SLO by id. */
export const noSuchSlo = (id: string) => new ApiError(404, 'not_found', `no SLO with id ${JSON.stringify(id)}`)

export function errorBody(code: ErrorCode, message: string, details?: unknown[]) {
  return { error: details === undefined ? { code, message } : { code, message, details } }
}

export const ErrorSchema = z
  .object({
    error: z.object({
      code: z.string().openapi({ example: 'not_found' }),
      message: z.string().openapi({ example: 'no SLO with id "checkout-availability"' }),
      details: z.array(z.unknown()).optional(),
    }),
  })
  .openapi('Error')

export const errorResponse = (description: string) => ({ description, content: { 'application/json': { schema: ErrorSchema } } })

/** The zod-openapi validation hook: a 400 that names each bad parameter. */
export function validationHook(result: { success: boolean; error?: z.ZodError; target?: string }, c: Context) {
  if (result.success || !result.error) return undefined
  const where = result.target === 'param' ? 'path parameter' : result.target === 'query' ? 'query parameter' : result.target ?? 'request'
  const message = result.error.issues.map((i) => `${where} ${i.path.join('.') || '(root)'}: ${i.message}`).join('; ')
  return c.json(errorBody('bad_request', message), 400)
}

/** Maps thrown errors to responses; unexpected ones are logged and answered with a 500 that leaks nothing. */
export function errorHandler(logger: Logger) {
  return (err: Error, c: Context) => {
    if (err instanceof ApiError) return c.json(errorBody(err.code, err.message, err.details), err.status)
    const status = (err as { status?: number }).status
    if (typeof status === 'number' && status >= 400 && status < 500) {
      return c.json(errorBody(status === 413 ? 'payload_too_large' : 'bad_request', err.message || 'bad request'), status as ContentfulStatusCode)
    }
    if (err instanceof StorageUnavailableError) {
      logger.warn({ err: err.message, path: c.req.path }, 'storage unavailable')
      return c.json(errorBody('unavailable', 'storage is unavailable; retry later'), 503)
    }
    logger.error({ err, method: c.req.method, path: c.req.path }, 'API request failed')
    return c.json(errorBody('internal', 'internal error; see the server log'), 500)
  }
}

export const notFound = (c: Context) => c.json(errorBody('not_found', `no route ${c.req.method} ${c.req.path}`), 404)
