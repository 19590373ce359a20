import type { Context } from 'hono'
import type { ContentfulStatusCode } from 'hono/utils/http-status'
import { z } from '@hono/zod-openapi'
import type { Logger } from '../instrumentation/index.ts'
import { clickhouseErrorCode, isStorageUnavailable } from '../storage/index.ts'
import { errorBody, type ErrorCode } from './error-body.ts'

export { errorBody, type ErrorCode } from './error-body.ts'

export class ApiError extends Error {
  constructor(
    readonly status: ContentfulStatusCode,
    readonly code: ErrorCode,
    message: string,
    readonly details?: unknown[],
    /** Headers of the answer (Retry-After). */
    readonly headers?: Record<string, string>,
  ) {
    super(message)
    this.name = 'ApiError'
  }
}

/** The 404 of every route that names an SLO by id. */
export const noSuchSlo = (id: string) => new ApiError(404, 'not_found', `no SLO with id ${JSON.stringify(id)}`)

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

/** The 503 every storage-backed route may answer (errorHandler maps storage outages to it). */
export const STORAGE_UNAVAILABLE = errorResponse('Storage unavailable, or the read timed out; retry after Retry-After')

/** The zod-openapi validation hook: a 400 that names each bad parameter. */
export function validationHook(result: { success: boolean; error?: z.ZodError; target?: string }, c: Context) {
  if (result.success || !result.error) return undefined
  const where = result.target === 'param' ? 'path parameter' : result.target === 'query' ? 'query parameter' : result.target ?? 'request'
  const message = result.error.issues.map((i) => `${where} ${i.path.join('.') || '(root)'}: ${i.message}`).join('; ')
  return c.json(errorBody('bad_request', message), 400)
}

/** Seconds a client is told to wait (Retry-After) when storage is unavailable. */
export const STORAGE_RETRY_AFTER_SECONDS = 5

// TIMEOUT_EXCEEDED: the read ran into its max_execution_time (or the server's).
const TIMEOUT_EXCEEDED = 159
// MEMORY_LIMIT_EXCEEDED: the read's max_memory_usage, or the server's memory, ran out.
const MEMORY_LIMIT_EXCEEDED = 241
// TOO_MANY_ROWS_OR_BYTES: the answer would pass max_result_rows / max_result_bytes.
const TOO_MANY_ROWS_OR_BYTES = 396

/** A storage failure as an answer: 503 + Retry-After when it may pass, 422 when the read itself is too big; undefined otherwise. */
function storageFailure(err: Error, c: Context, logger: Logger): Response | undefined {
  const code = clickhouseErrorCode(err)
  if (code === TOO_MANY_ROWS_OR_BYTES) {
    return c.json(errorBody('result_too_large', 'the answer is larger than the API returns: narrow the time range, filter (service, severity) or lower limit'), 422)
  }
  if (!isStorageUnavailable(err)) return undefined
  logger.warn({ err: err.message, code, path: c.req.path }, 'storage unavailable')
  c.header('Retry-After', String(STORAGE_RETRY_AFTER_SECONDS))
  const message =
    code === TIMEOUT_EXCEEDED || /^Timeout error/.test(err.message)
      ? 'storage did not answer in time (overloaded, or the read is too wide: narrow the time range); retry later'
      : code === MEMORY_LIMIT_EXCEEDED
        ? 'storage ran out of memory for this read (overloaded, or the read is too wide: narrow the time range); retry later'
        : 'storage is unavailable; retry later'
  return c.json(errorBody('unavailable', message), 503)
}

/** Maps thrown errors to responses; unexpected ones are logged and answered with a 500 that leaks nothing. */
export function errorHandler(logger: Logger) {
  return (err: Error, c: Context) => {
    if (err instanceof ApiError) {
      for (const [name, value] of Object.entries(err.headers ?? {})) c.header(name, value)
      return c.json(errorBody(err.code, err.message, err.details), err.status)
    }
    const status = (err as { status?: number }).status
    if (typeof status === 'number' && status >= 400 && status < 500) {
      return c.json(errorBody(status === 413 ? 'payload_too_large' : 'bad_request', err.message || 'bad request'), status as ContentfulStatusCode)
    }
    const fromStorage = storageFailure(err, c, logger)
    if (fromStorage) return fromStorage
    logger.error({ err, method: c.req.method, path: c.req.path }, 'API request failed')
    return c.json(errorBody('internal', 'internal error; see the server log'), 500)
  }
}

export const notFound = (c: Context) => c.json(errorBody('not_found', `no route ${c.req.method} ${c.req.path}`), 404)
