// Large bodies are decoded in a parse worker (isolation/pool.ts), small ones
// inline: decoding is synchronous, and a 64 MiB body decoded on the main
// thread would hold /healthz, every other request and the engine's tick for
// its whole duration. The rows come back as transferred buffers, not copies.

import { TaskError, WorkerCrashedError, ownArrayBuffer, type Isolation } from '../../isolation/index.ts'
import { HttpError, type Body } from '../http/body.ts'
import { decodeOtlpBody } from './decode-body.ts'
import type { DecodeOptions, TableOutput } from './decoded.ts'
import type { LimitCounts } from './limits.ts'
import type { Encoding, Signal } from './response.ts'

/** What the receivers need of a decoded request: rows per table, and the items refused. */
export interface DecodedRows {
  readonly tables: ReadonlyMap<string, TableOutput>
  readonly accepted: number
  readonly rejected: number
  readonly errorMessage: string
  /** What the attribute and body limits cut, by kind. */
  readonly truncated?: LimitCounts
  /** The UTC days (partitions) the accepted items fall on. */
  readonly days?: readonly number[]
}

interface Packed {
  tables: [table: string, rows: number, bytes: ArrayBuffer][]
  accepted: number
  rejected: number
  errorMessage: string
  truncated?: LimitCounts
  days?: readonly number[]
  /** Anything else a task hands back beside the rows. */
  [extra: string]: unknown
}

/** The module a parse worker loads to decode OTLP bodies. */
export const OTLP_TASK_MODULE = import.meta.url

export function pack(d: DecodedRows): { value: Packed; transfer: ArrayBuffer[] } {
  const tables = [...d.tables].map(([table, out]): Packed['tables'][number] => [table, out.rows, ownArrayBuffer(out.view())])
  return { value: { tables, accepted: d.accepted, rejected: d.rejected, errorMessage: d.errorMessage, truncated: d.truncated, days: d.days }, transfer: tables.map((t) => t[2]) }
}

function unpack(p: Packed): DecodedRows {
  const tables = new Map<string, TableOutput>(p.tables.map(([table, rows, bytes]) => [table, { rows, view: () => Buffer.from(bytes) }]))
  return { ...p, tables }
}

/** Task run in a worker: decode an OTLP body. */
export function decodeOtlpTask(input: { signal: Signal; encoding: Encoding; parts: ArrayBuffer[]; options: DecodeOptions }) {
  return pack(decodeOtlpBody(input.signal, input.encoding, input.parts.map((p) => Buffer.from(p)), input.options))
}

/** A worker's failure as the HTTP answer it calls for. */
export function workerFailure(err: unknown): unknown {
  if (err instanceof TaskError) return new HttpError(err.status ?? 500, err.message)
  if (err instanceof WorkerCrashedError) {
    return new HttpError(413, `decoding the body needed more memory than a parse worker may use (limits.parseWorkerHeapMb): send smaller requests (${err.message})`)
  }
  return err
}

/**
 * Runs `task` of `module` in a worker on the body's parts (moved, not copied)
 * when the body is at least `size` bytes (default: its length), else `inline` here.
 */
export async function offloaded<T extends DecodedRows>(
  isolation: Isolation,
  body: Body,
  inline: (body: Buffer) => DecodedRows | Promise<DecodedRows>,
  task: { module: string; fn: string; input: Record<string, unknown>; size?: number },
): Promise<T> {
  if ((task.size ?? body.length) < isolation.offloadBytes) return (await inline(body.whole())) as T
  const parts = body.transferables()
  try {
    return unpack(await isolation.pool.run<Packed>(task.module, task.fn, { ...task.input, parts }, parts)) as T
  } catch (err) {
    throw workerFailure(err)
  }
}

export function decodeOtlp(isolation: Isolation, signal: Signal, encoding: Encoding, body: Body, options: DecodeOptions): Promise<DecodedRows> {
  return offloaded(isolation, body, (whole) => decodeOtlpBody(signal, encoding, [whole], options), { module: OTLP_TASK_MODULE, fn: 'decodeOtlpTask', input: { signal, encoding, options } })
}
