import { configSchema, type ApiReadLimits } from '../config/index.ts'
import type { QueryParams, Storage } from '../storage/index.ts'
import { ApiError } from './errors.ts'

// Log and trace reads share ClickHouse with the engine's ticks and the
// collector's inserts. Each read is bounded by the engine itself (run time,
// threads, memory, answer size, and read-only: it can change nothing), and
// only `maxConcurrent` run at once: more wait their turn, up to a short queue,
// beyond which the API answers 429 + Retry-After rather than pile up work.

type ReadSettings = NonNullable<Parameters<Storage['query']>[2]>

/** Rows a read may return at most, whatever its LIMIT: a guard behind the routes' own limits. */
const MAX_RESULT_ROWS = 100_000
const QUEUE_PER_SLOT = 8
const BUSY_RETRY_AFTER_SECONDS = 1

export interface TelemetryReads {
  readonly maxRangeMs: number
  /** Runs one bounded read, once a slot is free; with `breakAfterSeconds`, it answers with what it read by then rather than failing. */
  query<T>(sql: string, params: QueryParams, options?: { breakAfterSeconds: number }): Promise<T[]>
}

/** The defaults of api.reads, from the config schema (the one place they are written). */
export const defaultReadLimits = (): ApiReadLimits => configSchema.parse({}).api.reads

/** The ClickHouse settings every telemetry read runs with. */
export function readSettings(limits: ApiReadLimits): ReadSettings {
  return {
    // 2, not 1: read-only, yet the settings of the same request (these) may still be set.
    readonly: '2',
    max_execution_time: limits.maxExecutionSeconds,
    timeout_overflow_mode: 'throw',
    max_threads: limits.maxThreads,
    max_memory_usage: String(limits.maxMemoryBytes),
    max_result_rows: String(MAX_RESULT_ROWS),
    max_result_bytes: String(limits.maxResultBytes),
    result_overflow_mode: 'throw',
  }
}

/**
 * `settings` for a read that may stop early and answer with what it has read
 * (ClickHouse timeout_overflow_mode = break), never later than the limit of
 * `settings` itself.
 */
export function breakAfter(settings: ReadSettings, seconds: number | undefined): ReadSettings {
  if (seconds === undefined) return settings
  const limit = Number(settings.max_execution_time ?? Infinity)
  return { ...settings, max_execution_time: Math.min(limit, seconds), timeout_overflow_mode: 'break' }
}

/** One read with the `limits` of the API's telemetry reads, outside its queue (the engine's own reads: attribution lines of pages, reports). */
export function boundedRead(storage: Storage, limits: ApiReadLimits) {
  const settings = readSettings(limits)
  return <T>(sql: string, params: QueryParams, options?: { breakAfterSeconds: number }) => storage.query<T>(sql, params, breakAfter(settings, options?.breakAfterSeconds))
}

export function telemetryReads(storage: Storage, limits: ApiReadLimits = defaultReadLimits()): TelemetryReads {
  const settings = readSettings(limits)
  const waiting: (() => void)[] = []
  let running = 0

  async function slot(): Promise<void> {
    if (running < limits.maxConcurrent) {
      running++
      return
    }
    if (waiting.length >= limits.maxConcurrent * QUEUE_PER_SLOT) {
      throw new ApiError(429, 'too_many_requests', `too many log and trace reads at once (${limits.maxConcurrent} run, ${waiting.length} wait; api.reads.maxConcurrent): retry shortly`, undefined, {
        'Retry-After': String(BUSY_RETRY_AFTER_SECONDS),
      })
    }
    await new Promise<void>((resolve) => waiting.push(resolve))
  }

  function release(): void {
    const next = waiting.shift()
    if (next) next() // the slot passes to the next read as is
    else running--
  }

  return {
    maxRangeMs: limits.maxRangeDays * 86_400_000,
    async query<T>(sql: string, params: QueryParams, options?: { breakAfterSeconds: number }) {
      await slot()
      try {
        return await storage.query<T>(sql, params, breakAfter(settings, options?.breakAfterSeconds))
      } finally {
        release()
      }
    },
  }
}
