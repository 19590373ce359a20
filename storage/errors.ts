/** Storage cannot be reached or used; the message says which store and why. */
export class StorageUnavailableError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.name = 'StorageUnavailableError'
  }
}

/** The ClickHouse error code of `err`, when ClickHouse raised it. */
export function clickhouseErrorCode(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code
  return typeof code === 'string' || typeof code === 'number' ? String(code) : undefined
}

// ClickHouse codes that say "not now" rather than "not this": the server is
// overloaded, out of memory, too slow or unreachable, so the same request can
// succeed later (TIMEOUT_EXCEEDED 159, TOO_SLOW 160, TOO_MANY_SIMULTANEOUS_QUERIES
// 202, NO_FREE_CONNECTION 203, SOCKET_TIMEOUT 209, NETWORK_ERROR 210,
// MEMORY_LIMIT_EXCEEDED 241, TABLE_IS_READ_ONLY 242, TOO_MANY_PARTS 252,
// ALL_CONNECTION_TRIES_FAILED 279, ALL_REPLICAS_ARE_STALE 369,
// CANNOT_SCHEDULE_TASK 439, KEEPER_EXCEPTION 999).
const RETRYABLE_CLICKHOUSE_CODES = new Set(['159', '160', '202', '203', '209', '210', '241', '242', '252', '279', '369', '439', '999'])

// Transport failures of the HTTP client (server mode) and of a closed embedded connection.
const TRANSPORT_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'UND_ERR_SOCKET'])
const TRANSPORT_MESSAGES = /^(Timeout error\.|socket hang up|ChdbConnection is closed)/

/**
 * True when `err` means storage is unavailable for now (down, unreachable,
 * overloaded or timed out), so the caller should answer 503 and retry later,
 * not blame the request.
 */
export function isStorageUnavailable(err: unknown): boolean {
  if (err instanceof StorageUnavailableError) return true
  const e = err as (Error & { code?: unknown; cause?: { code?: unknown } }) | null
  if (!e || typeof e !== 'object') return false
  const code = clickhouseErrorCode(e)
  if (code !== undefined && (RETRYABLE_CLICKHOUSE_CODES.has(code) || TRANSPORT_CODES.has(code))) return true
  const causeCode = clickhouseErrorCode(e.cause)
  if (causeCode !== undefined && TRANSPORT_CODES.has(causeCode)) return true
  return typeof e.message === 'string' && TRANSPORT_MESSAGES.test(e.message)
}
