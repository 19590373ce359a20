import type { Context, MiddlewareHandler } from 'hono'
import { bodyLimit } from 'hono/body-limit'
import { BudgetExhaustedError, WorkerCrashedError, type Isolation } from '../isolation/index.ts'
import { SPEC_LIMITS, SPEC_PARSE_TASK, checkAndParseSpecs, notifyUrlsChecked, type CheckedSpecs, type ParsedSpecs, type SpecParseOptions } from '../slo-engine/index.ts'
import { ApiError, errorBody } from './errors.ts'

/** SLO specs are small; a bigger body is a mistake or an attack (the same limit as a spec file). */
const MAX_SPEC_BYTES = SPEC_LIMITS.maxBytes

/** Specs of at least this many characters are parsed in a parse worker: the YAML parser takes tens of ms per 10 KiB. */
const SPEC_OFFLOAD_CHARS = 16 * 1024

const YAML_TYPES = ['application/yaml', 'application/x-yaml', 'text/yaml', 'text/x-yaml', 'text/plain', 'application/json']

/**
 * The request body as YAML text: a YAML (or JSON, or plain text) content type, not empty.
 * Its size is capped before this reads it, by specBodyLimit() mounted on the routes.
 */
export async function readSpecBody(c: Context): Promise<string> {
  const type = (c.req.header('content-type') ?? '').split(';')[0]!.trim().toLowerCase()
  if (type !== '' && !YAML_TYPES.includes(type)) {
    throw new ApiError(415, 'unsupported_media_type', `expected a YAML body (Content-Type application/yaml), got ${type}`)
  }
  const bytes = new Uint8Array(await c.req.arrayBuffer())
  let text: string
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes)
  } catch {
    throw new ApiError(400, 'bad_request', 'the body is not UTF-8 text')
  }
  if (text.trim() === '') throw new ApiError(400, 'bad_request', 'the body is empty: send the SLO spec as YAML')
  return text
}

/**
 * Checks spec text against the size limits (413 beyond; nesting too deep is
 * an invalid spec, 400, with its position) and parses it, in a parse worker
 * when it is large, so that no body holds the process.
 */
export async function parseSpecBody(isolation: Isolation, text: string, file: string, options: SpecParseOptions = {}): Promise<ParsedSpecs> {
  const inline = text.length < SPEC_OFFLOAD_CHARS
  const checked = inline ? checkAndParseSpecs(text, file, options) : await offThread(isolation, text, file, options)
  if ('parsed' in checked) return inline ? checked.parsed : notifyUrlsChecked(checked.parsed, options.checkNotifyUrl)
  const { kind, line, column, message } = checked.overLimit
  const [status, code] = kind === 'size' ? ([413, 'payload_too_large'] as const) : ([400, 'invalid_spec'] as const)
  throw new ApiError(status, code, `${line}:${column}: ${message}`, [{ file, line, column, message }])
}

async function offThread(isolation: Isolation, text: string, file: string, { checkNotifyUrl: _mainThreadOnly, ...options }: SpecParseOptions): Promise<CheckedSpecs> {
  try {
    return await isolation.pool.run<CheckedSpecs>(SPEC_PARSE_TASK.module, SPEC_PARSE_TASK.fn, { text, file, options })
  } catch (err) {
    if (err instanceof WorkerCrashedError) throw new ApiError(413, 'payload_too_large', 'the spec needs more memory to parse than a parse worker may use: split it')
    throw err
  }
}

export const yamlBody = (description: string) => ({
  description,
  required: true,
  content: { 'application/yaml': { schema: { type: 'string' as const, example: 'apiVersion: cairn/v1\nkind: SLO\n…' } } },
})

/**
 * Stops reading a spec body at MAX_SPEC_BYTES, whether or not it declared its
 * length (chunked uploads), and holds its bytes in the process's body budget
 * (shared with the collector) while the request runs: 429 when it is spent.
 */
export function specBodyLimit(isolation: Isolation): MiddlewareHandler {
  const limit = bodyLimit({
    maxSize: MAX_SPEC_BYTES,
    onError: (c) => c.json(errorBody('payload_too_large', `the spec is larger than ${MAX_SPEC_BYTES} bytes: split it into several bodies`), 413),
  })
  return async (c, next) => {
    const declared = Number(c.req.header('content-length'))
    const reservation = isolation.budget.reserve()
    try {
      reservation.growTo(Number.isFinite(declared) ? Math.min(declared, MAX_SPEC_BYTES) : MAX_SPEC_BYTES)
    } catch (err) {
      if (!(err instanceof BudgetExhaustedError)) throw err
      return c.json(errorBody('too_many_requests', err.message), 429, { 'retry-after': String(err.retryAfterSeconds), connection: 'close' })
    }
    try {
      return await limit(c, next)
    } finally {
      reservation.release()
    }
  }
}
