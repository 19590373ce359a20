// OTLP/HTTP responses. Success: Export<Signal>ServiceResponse, whose only field
// is partial_success (1) = {rejected_<items> (1, int64), error_message (2)}.
// Failure: google.rpc.Status {code (1, int32), message (2)}. Both in the
// request's encoding, protobuf or JSON.

export type Signal = 'traces' | 'metrics' | 'logs'
export type Encoding = 'protobuf' | 'json'

const REJECTED_FIELD: Record<Signal, string> = {
  traces: 'rejectedSpans',
  metrics: 'rejectedDataPoints',
  logs: 'rejectedLogRecords',
}

function varint(n: number): number[] {
  const out: number[] = []
  let v = n
  while (v >= 0x80) {
    out.push((v % 0x80) | 0x80)
    v = Math.floor(v / 0x80)
  }
  out.push(v)
  return out
}

function lengthDelimited(field: number, bytes: Buffer): Buffer {
  return Buffer.concat([Buffer.from([(field << 3) | 2, ...varint(bytes.length)]), bytes])
}

export function exportResponse(signal: Signal, encoding: Encoding, rejected: number, message: string): Buffer {
  if (encoding === 'json') {
    if (rejected === 0 && !message) return Buffer.from('{}')
    return Buffer.from(JSON.stringify({ partialSuccess: { [REJECTED_FIELD[signal]]: String(rejected), errorMessage: message } }))
  }
  if (rejected === 0 && !message) return Buffer.alloc(0)
  const inner = Buffer.concat([
    rejected > 0 ? Buffer.from([0x08, ...varint(rejected)]) : Buffer.alloc(0),
    message ? lengthDelimited(2, Buffer.from(message)) : Buffer.alloc(0),
  ])
  return lengthDelimited(1, inner)
}

/** gRPC status codes for the HTTP statuses the receiver answers with. */
const GRPC_CODE: Record<number, number> = { 400: 3, 401: 16, 403: 7, 404: 5, 405: 12, 413: 8, 415: 3, 429: 8, 500: 13, 503: 14 }

export function statusResponse(httpStatus: number, encoding: Encoding, message: string): Buffer {
  const code = GRPC_CODE[httpStatus] ?? 2
  if (encoding === 'json') return Buffer.from(JSON.stringify({ code, message }))
  return Buffer.concat([Buffer.from([0x08, ...varint(code)]), lengthDelimited(2, Buffer.from(message))])
}
