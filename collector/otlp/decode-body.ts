// Decoding one OTLP request body, protobuf or JSON, for any signal: the same
// function runs inline for small bodies and in a parse worker for large ones
// (offload.ts). Every bad body is an HttpError: 400 for what cannot be
// decoded, 413 for JSON too large in structure to parse safely.

import { HttpError } from '../http/body.ts'
import type { Decoded, DecodeOptions } from './decoded.ts'
import { decodeLogsJson, decodeLogsProto } from './logs.ts'
import { decodeMetricsJson, decodeMetricsProto } from './metrics.ts'
import { DecodeError } from './proto-reader.ts'
import type { Encoding, Signal } from './response.ts'
import { decodeTracesJson, decodeTracesProto } from './traces.ts'

interface OtlpDecoders {
  protobuf(body: Buffer, options?: DecodeOptions): Decoded
  json(doc: unknown, options?: DecodeOptions): Decoded
}

const DECODERS: Record<Signal, OtlpDecoders> = {
  traces: { protobuf: decodeTracesProto, json: decodeTracesJson },
  logs: { protobuf: decodeLogsProto, json: decodeLogsJson },
  metrics: { protobuf: decodeMetricsProto, json: decodeMetricsJson },
}

/**
 * What an OTLP/JSON body may hold before JSON.parse builds it: every JSON
 * value becomes a JavaScript object of tens of bytes, so 60 MiB of `{},` is
 * 20 million objects, more memory than the body is worth. A real request of
 * 512 spans with 20 attributes each holds about 40,000 values.
 */
export const JSON_LIMITS = {
  maxDepth: 64,
  maxValues: 1_000_000,
} as const

const QUOTE = 0x22
const BACKSLASH = 0x5c

/**
 * One pass over the bytes, outside strings: nesting depth and values
 * (containers and separators). Takes the body in pieces, so that a body
 * refused here is never joined into one buffer.
 */
export function jsonShapeProblem(parts: readonly Buffer[]): HttpError | undefined {
  let depth = 0
  let values = 0
  let inString = false
  let escaped = false
  let at = 0
  for (const body of parts) {
    for (let i = 0; i < body.length; i++) {
      const c = body[i]!
      if (inString) {
        if (escaped) escaped = false
        else if (c === BACKSLASH) escaped = true
        else if (c === QUOTE) inString = false
        continue
      }
      if (c === QUOTE) inString = true
      else if (c === 0x7b || c === 0x5b) {
        values++
        if (++depth > JSON_LIMITS.maxDepth) return new HttpError(400, `cannot decode the OTLP/JSON body: it nests deeper than ${JSON_LIMITS.maxDepth} levels (at byte ${at + i})`)
      } else if (c === 0x7d || c === 0x5d) depth--
      else if (c === 0x2c) values++
      if (values > JSON_LIMITS.maxValues) {
        return new HttpError(413, `the OTLP/JSON body holds more than ${JSON_LIMITS.maxValues} JSON values: send fewer items per request, or protobuf`)
      }
    }
    at += body.length
  }
  return undefined
}

/** Decodes a body, whole or in pieces, in the given encoding; undecodable bodies are 400. */
export function decodeOtlpBody(signal: Signal, encoding: Encoding, parts: readonly Buffer[], options: DecodeOptions): Decoded {
  const decoders = DECODERS[signal]
  if (encoding === 'json') {
    const shape = jsonShapeProblem(parts)
    if (shape) throw shape
  }
  const body = parts.length === 1 ? parts[0]! : Buffer.concat(parts)
  try {
    if (encoding === 'protobuf') return decoders.protobuf(body, options)
    let doc: unknown
    try {
      doc = JSON.parse(body.toString('utf8'))
    } catch (err) {
      throw new DecodeError(body.length === 0 ? 'the body is empty' : `invalid JSON: ${(err as Error).message}`)
    }
    return decoders.json(doc, options)
  } catch (err) {
    if (err instanceof DecodeError) throw new HttpError(400, `cannot decode the ${encoding === 'json' ? 'OTLP/JSON' : 'OTLP protobuf'} body: ${err.message}`)
    if (err instanceof RangeError) throw new HttpError(400, `cannot decode the body: ${err.message}`)
    throw err
  }
}
