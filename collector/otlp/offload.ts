// Large bodies are decoded in a parse worker (isolation/pool.ts), small ones
// inline: decoding is synchronous, and a 64 MiB body decoded on the main
// thread would hold /healthz, every other request and the engine's tick for
// its whole duration. The rows come back as transferred buffers, not copies.

import { TaskError, WorkerCrashedError, ownArrayBuffer, type Isolation } from '../../isolation/index.ts'
import { HttpError } from '../http/body.ts'
import { decodeOtlpBody } from './decode-body.ts'
import type { Retention, TableOutput } from './decoded.ts'
import type { Encoding, Signal } from './response.ts'

/** What the receivers need of a decoded request: rows per table, and the items refused. */
export interface DecodedRows {
  readonly tables: ReadonlyMap<string, TableOutput>
  readonly accepted: number
  readonly rejected: number
  readonly errorMessage: string
}

interface Packed {
  tables: [table: string, rows: number, bytes: ArrayBuffer][]
  accepted: number
  rejected: number
  errorMessage: string
}

export function pack(d: DecodedRows): { value: Packed; transfer: ArrayBuffer[] } {
  const tables = [...d.tables].map(([table, out]): Packed['tables'][number] => [table, out.rows, ownArrayBuffer(out.view())])
  return { value: { tables, accepted: d.accepted, rejected: d.rejected, errorMessage: d.errorMessage }, transfer: tables.map((t) => t[2]) }
}

function unpack(p: Packed): DecodedRows {
  const tables = new Map<string, TableOutput>(p.tables.map(([table, rows, bytes]) => [table, { rows, view: () => Buffer.from(bytes) }]))
  return { tables, accepted: p.accepted, rejected: p.rejected, errorMessage: p.errorMessage }
}

/** Task run in a worker: decode an OTLP body. */
export function decodeOtlpTask(input: { signal: Signal; encoding: Encoding; body: ArrayBuffer; retention?: Retention }) {
  return pack(decodeOtlpBody(input.signal, input.encoding, Buffer.from(input.body), input.retention))
}

/** A worker's failure as the HTTP answer it calls for. */
export function workerFailure(err: unknown): unknown {
  if (err instanceof TaskError) return new HttpError(err.status ?? 500, err.message)
  if (err instanceof WorkerCrashedError) {
    return new HttpError(413, `decoding the body needed more memory than a parse worker may use (limits.parseWorkerHeapMb): send smaller requests (${err.message})`)
  }
  return err
}

/** Runs `task` of this module's sibling `module` in a worker when the body is large, else `inline` here. */
export async function offloaded<T>(isolation: Isolation, body: Buffer, inline: () => T, module: string, task: string, input: Record<string, unknown>): Promise<T | DecodedRows> {
  if (body.length < isolation.offloadBytes) return inline()
  const buffer = ownArrayBuffer(body)
  try {
    return unpack(await isolation.pool.run<Packed>(module, task, { ...input, body: buffer }, [buffer]))
  } catch (err) {
    throw workerFailure(err)
  }
}

export function decodeOtlp(isolation: Isolation, signal: Signal, encoding: Encoding, body: Buffer, retention: Retention | undefined): Promise<DecodedRows> {
  return offloaded(isolation, body, () => decodeOtlpBody(signal, encoding, body, retention), import.meta.url, 'decodeOtlpTask', { signal, encoding, retention })
}
