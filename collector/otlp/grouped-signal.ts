// Decoding a signal whose items go one row per resource+scope group into an
// ingest table (spans, log records): the walk over groups, opening a group's
// row when its scope changes, and each item read then checked. The signal
// supplies its table, its column set, the group's leading columns and the
// item's readers.

import type { GroupedRows, ItemColumns } from '../rows/grouped.ts'
import { walkJson, walkProto, type Json, type JsonKeys, type Resource, type Scope } from './common.ts'
import { Decoded, type DecodeOptions } from './decoded.ts'
import type { ProtoReader } from './proto-reader.ts'

export interface GroupedSignal {
  table: string
  /** Reused by every request: decoding is synchronous. */
  columns: ItemColumns
  jsonKeys: JsonKeys
  /** The group's leading columns, as RowBinary values. */
  head(resource: Resource, scope: Scope): Buffer
  /** Reads one item's protobuf fields into the item columns. */
  readProto(r: ProtoReader, end: number, columns: ItemColumns): void
  /** Reads one OTLP/JSON item into the item columns. */
  readJson(item: Json, path: string, columns: ItemColumns): void
  /** Checks the item just read, and completes or drops it. */
  finish(out: Decoded, rows: GroupedRows): void
}

function enterGroup(signal: GroupedSignal, out: Decoded, rows: GroupedRows, resource: Resource, scope: Scope): void {
  if (!rows.switches(scope)) return
  out.limiter?.resourceAndScope(resource, scope)
  rows.open(scope, signal.head(resource, scope))
}

/** A signal's protobuf and OTLP/JSON decoders. */
export function groupedDecoders(signal: GroupedSignal): {
  protobuf: (body: Buffer, options?: DecodeOptions) => Decoded
  json: (doc: Json, options?: DecodeOptions) => Decoded
} {
  return { protobuf: (body, options = {}) => decodeGroupedProto(signal, body, options), json: (doc, options = {}) => decodeGroupedJson(signal, doc, options) }
}

function decodeGroupedProto(signal: GroupedSignal, body: Buffer, options: DecodeOptions): Decoded {
  const out = new Decoded(options.bounds, options.limits)
  const rows = out.grouped(signal.table, signal.columns, body.length + 4096)
  walkProto(body, (r, end, resource, scope) => {
    enterGroup(signal, out, rows, resource, scope)
    signal.readProto(r, end, rows.items)
    signal.finish(out, rows)
  })
  rows.close()
  return out
}

function decodeGroupedJson(signal: GroupedSignal, doc: Json, options: DecodeOptions): Decoded {
  const out = new Decoded(options.bounds, options.limits)
  const rows = out.grouped(signal.table, signal.columns, 64 * 1024)
  walkJson(doc, signal.jsonKeys, (item, path, resource, scope) => {
    enterGroup(signal, out, rows, resource, scope)
    signal.readJson(item, path, rows.items)
    signal.finish(out, rows)
  })
  rows.close()
  return out
}
