import type { Context, MiddlewareHandler } from 'hono'
import { bodyLimit } from 'hono/body-limit'
import { ApiError, errorBody } from './errors.ts'

/** SLO specs are small; a bigger body is a mistake or an attack. */
const MAX_SPEC_BYTES = 1024 * 1024

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

export const yamlBody = (description: string) => ({
  description,
  required: true,
  content: { 'application/yaml': { schema: { type: 'string' as const, example: 'apiVersion: cairn/v1\nkind: SLO\n…' } } },
})

/** Stops reading a spec body at MAX_SPEC_BYTES, whether or not it declared its length (chunked uploads). */
export function specBodyLimit(): MiddlewareHandler {
  return bodyLimit({ maxSize: MAX_SPEC_BYTES, onError: (c) => c.json(errorBody('payload_too_large', `the spec is larger than ${MAX_SPEC_BYTES} bytes`), 413) })
}
