// Typed storage errors. Every failure of a statement leaves storage/ as one of
// these, in both modes (embedded chDB and a server over HTTP), so callers decide
// from the type, never from a client's error shape:
//   StorageUnavailableError  the store cannot be used now (down, overloaded,
//                            out of space, refused credentials): retry later, 503
//   StorageTimeoutError      a kind of unavailable: the statement ran out of time
//   StorageBadDataError      the data of a write was refused: retrying the same
//                            rows fails the same way, 400 for whoever sent them
//   StorageQueryError        anything else ClickHouse refused (a wrong statement)
// The message is ClickHouse's own; `code` is its numeric error code.

export interface StorageErrorOptions {
  cause?: unknown
  /** ClickHouse's error code (src/Common/ErrorCodes.cpp), when ClickHouse raised it. */
  code?: number
}

export class StorageError extends Error {
  readonly code: number | undefined
  constructor(message: string, options?: StorageErrorOptions) {
    super(message, { cause: options?.cause })
    this.name = new.target.name
    this.code = options?.code
  }
}

/** Storage cannot be reached or used now; the message says which store and why. */
export class StorageUnavailableError extends StorageError {}

/** The statement did not finish in time (client timeout, or ClickHouse's own). */
export class StorageTimeoutError extends StorageUnavailableError {}

/** ClickHouse refused the rows of a write because of what they contain. */
export class StorageBadDataError extends StorageError {}

/** ClickHouse refused the statement for another reason (syntax, unknown table…): a bug, not an outage. */
export class StorageQueryError extends StorageError {}

// ClickHouse error codes (src/Common/ErrorCodes.cpp) by what they say about a failure.
const TIMEOUT_CODES = new Set([
  159, // TIMEOUT_EXCEEDED
  160, // TOO_SLOW
  209, // SOCKET_TIMEOUT
])
const UNAVAILABLE_CODES = new Set([
  81, // UNKNOWN_DATABASE (dropped, or not created yet)
  164, // READONLY
  173, // CANNOT_ALLOCATE_MEMORY
  198, // DNS_ERROR
  202, // TOO_MANY_SIMULTANEOUS_QUERIES
  203, // NO_FREE_CONNECTION
  210, // NETWORK_ERROR
  225, // NO_ZOOKEEPER
  236, // ABORTED
  241, // MEMORY_LIMIT_EXCEEDED
  242, // TABLE_IS_READ_ONLY
  243, // NOT_ENOUGH_SPACE
  252, // TOO_MANY_PARTS, when merges lag behind inserts (see TOO_MANY_PARTITIONS)
  279, // ALL_CONNECTION_TRIES_FAILED
  369, // ALL_REPLICAS_ARE_STALE
  289, // REPLICA_IS_NOT_IN_QUORUM
  319, // UNKNOWN_STATUS_OF_INSERT
  394, // QUERY_WAS_CANCELLED
  425, // SYSTEM_ERROR
  439, // CANNOT_SCHEDULE_TASK
  497, // ACCESS_DENIED
  516, // AUTHENTICATION_FAILED
  999, // KEEPER_EXCEPTION
])
const BAD_DATA_CODES = new Set([
  6, // CANNOT_PARSE_TEXT
  26, // CANNOT_PARSE_QUOTED_STRING
  27, // CANNOT_PARSE_INPUT_ASSERTION_FAILED
  33, // CANNOT_READ_ALL_DATA (a RowBinary payload shorter than its rows)
  38, // CANNOT_PARSE_DATE
  41, // CANNOT_PARSE_DATETIME
  53, // TYPE_MISMATCH
  69, // ARGUMENT_OUT_OF_BOUND
  70, // CANNOT_CONVERT_TYPE
  72, // CANNOT_PARSE_NUMBER
  117, // INCORRECT_DATA
  128, // TOO_LARGE_ARRAY_SIZE
  131, // TOO_LARGE_STRING_SIZE
  190, // SIZES_OF_ARRAYS_DONT_MATCH
  321, // VALUE_IS_OUT_OF_RANGE_OF_DATA_TYPE
  349, // CANNOT_INSERT_NULL_IN_ORDINARY_COLUMN
  395, // FUNCTION_THROW_IF_VALUE_IS_NON_ZERO
])
/**
 * Code 252 (TOO_MANY_PARTS) covers two failures: an insert block spanning more
 * partitions than `max_partitions_per_insert_block` (the rows' dates: bad data)
 * and a partition with more active parts than merges keep up with (overload).
 */
const TOO_MANY_PARTITIONS = /partitions for (a )?single insert block/i

// Node and @clickhouse/client failures that never reached ClickHouse, or lost it.
const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'ECONNABORTED', 'UND_ERR_SOCKET'])
const TIMEOUT_ERRNO = new Set(['ETIMEDOUT', 'ESOCKETTIMEDOUT', 'UND_ERR_CONNECT_TIMEOUT'])

/** The ClickHouse error code of `err`: the client's `code`, or the `Code: N.` chDB's insert errors start with. */
export function clickhouseErrorCode(err: unknown): number | undefined {
  if (err instanceof StorageError) return err.code
  const e = err as { code?: unknown; message?: unknown } | null
  if (typeof e?.code === 'number') return e.code
  if (typeof e?.code === 'string' && /^\d+$/.test(e.code)) return Number(e.code)
  const m = typeof e?.message === 'string' ? /^Code: (\d+)\./.exec(e.message) : null
  return m ? Number(m[1]) : undefined
}

/** `err` as a typed storage error (unchanged when it already is one), with ClickHouse's message. */
export function toStorageError(err: unknown): StorageError {
  if (err instanceof StorageError) return err
  const raw = err as NodeJS.ErrnoException & { cause?: NodeJS.ErrnoException }
  const message = clickhouseText(raw?.message ?? String(err))
  const code = clickhouseErrorCode(err)
  const options = { cause: err, code }
  if (code !== undefined) {
    if (code === 252) return TOO_MANY_PARTITIONS.test(message) ? new StorageBadDataError(message, options) : new StorageUnavailableError(message, options)
    if (TIMEOUT_CODES.has(code)) return new StorageTimeoutError(message, options)
    if (UNAVAILABLE_CODES.has(code)) return new StorageUnavailableError(message, options)
    if (BAD_DATA_CODES.has(code)) return new StorageBadDataError(message, options)
    return new StorageQueryError(message, options)
  }
  const errno = raw?.code ?? raw?.cause?.code
  if ((errno && TIMEOUT_ERRNO.has(errno)) || /^timeout error/i.test(message)) return new StorageTimeoutError(message, options)
  if (errno && NETWORK_CODES.has(errno)) return new StorageUnavailableError(message, options)
  // No ClickHouse code: the request did not get a ClickHouse answer (a proxy,
  // a dropped connection, a closed client). The data is not known to be at fault.
  return new StorageUnavailableError(message, options)
}

/** Runs a storage call, turning whatever it throws into a typed storage error. */
export async function typed<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call()
  } catch (err) {
    throw toStorageError(err)
  }
}

/** chDB's insert errors start "Code: N. DB::Exception: " and repeat themselves: keep ClickHouse's own sentence, once. */
function clickhouseText(message: string): string {
  if (!/^Code: \d+\. DB::Exception: /.test(message)) return message
  return (message.split('\nCode: ')[0] ?? message).replace(/^Code: \d+\. DB::Exception: /, '')
}

/**
 * True when `err` means storage is unavailable for now (down, unreachable,
 * overloaded or timed out), so the caller should answer 503 and retry later,
 * not blame the request. Raw client errors are classified as storage/ does.
 */
export function isStorageUnavailable(err: unknown): boolean {
  return toStorageError(err) instanceof StorageUnavailableError
}
