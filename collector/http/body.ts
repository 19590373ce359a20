import type { IncomingMessage } from 'node:http'
import { gunzip } from 'node:zlib'

/** A request the receiver answers with an HTTP error before decoding. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message)
    this.name = 'HttpError'
  }
}

/**
 * Reads the whole body, refusing more than `maxBytes` on the wire (413), then
 * undoes gzip with the same bound on the decompressed size, so a small gzip
 * bomb is refused too.
 */
export async function readBody(req: IncomingMessage, maxBytes: number, encoding: 'gzip' | 'identity'): Promise<Buffer> {
  const declared = Number(req.headers['content-length'])
  if (Number.isFinite(declared) && declared > maxBytes) throw tooLarge(maxBytes)
  const chunks: Buffer[] = []
  let length = 0
  for await (const chunk of req) {
    length += (chunk as Buffer).length
    if (length > maxBytes) throw tooLarge(maxBytes)
    chunks.push(chunk as Buffer)
  }
  const raw = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, length)
  if (encoding === 'identity') return raw
  return new Promise((resolve, reject) => {
    gunzip(raw, { maxOutputLength: maxBytes }, (err, out) => {
      if (!err) return resolve(out)
      if ((err as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') reject(tooLarge(maxBytes, 'decompressed '))
      else reject(new HttpError(400, `the body is not valid gzip: ${err.message}`))
    })
  })
}

function tooLarge(maxBytes: number, what = ''): HttpError {
  return new HttpError(413, `the ${what}body exceeds the limit of ${maxBytes} bytes (collector.maxBodyBytes)`, { connection: 'close' })
}

/** `gzip` or `identity` from Content-Encoding; anything else is 415. */
export function contentEncoding(req: IncomingMessage): 'gzip' | 'identity' {
  const value = (req.headers['content-encoding'] ?? '').trim().toLowerCase()
  if (value === '' || value === 'identity') return 'identity'
  if (value === 'gzip' || value === 'x-gzip') return 'gzip'
  throw new HttpError(415, `unsupported Content-Encoding "${value}"; send gzip or no encoding`)
}

/** The media type without parameters, lowercased. */
export function mediaType(req: IncomingMessage): string {
  return (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase()
}
