// The one JSON error shape of every non-OTLP answer cairn gives, on the API
// port and on the collector port alike (OTLP endpoints answer with OTLP's own
// google.rpc.Status, as the OTLP specification requires):
//
//   { "error": { "code": "<machine-readable>", "message": "<for a human>" } }
//
// plus `details` where there is a list to give (spec errors with positions).

export type ErrorCode =
  | 'bad_request'
  | 'invalid_spec'
  | 'not_found'
  | 'method_not_allowed'
  | 'unauthorized'
  | 'forbidden'
  | 'conflict'
  | 'payload_too_large'
  | 'unsupported_media_type'
  | 'result_too_large'
  | 'too_many_requests'
  | 'unavailable'
  | 'internal'

export interface ErrorBody {
  error: { code: ErrorCode; message: string; details?: unknown[] }
}

export function errorBody(code: ErrorCode, message: string, details?: unknown[]): ErrorBody {
  return { error: details === undefined ? { code, message } : { code, message, details } }
}

const CODE_BY_STATUS: Record<number, ErrorCode> = {
  400: 'bad_request',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'not_found',
  405: 'method_not_allowed',
  409: 'conflict',
  413: 'payload_too_large',
  415: 'unsupported_media_type',
  422: 'result_too_large',
  429: 'too_many_requests',
  503: 'unavailable',
}

/** The code of an answer that has only an HTTP status to go by. */
export function errorCodeForStatus(status: number): ErrorCode {
  return CODE_BY_STATUS[status] ?? (status >= 500 ? 'internal' : 'bad_request')
}

/** The error body as bytes, for servers that write responses themselves (the collector). */
export function errorJson(status: number, message: string): Buffer {
  return Buffer.from(JSON.stringify(errorBody(errorCodeForStatus(status), message)))
}
