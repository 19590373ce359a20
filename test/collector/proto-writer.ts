// A minimal protobuf writer for hand-made OTLP requests: the SDK exporters never
// send a field twice, a non-string body kind in protobuf, or unusual lengths.

export function varint(n: bigint | number): Buffer {
  let v = BigInt.asUintN(64, BigInt(n))
  const out: number[] = []
  while (v >= 0x80n) {
    out.push(Number(v & 0x7fn) | 0x80)
    v >>= 7n
  }
  out.push(Number(v))
  return Buffer.from(out)
}

const tag = (field: number, wire: number) => varint((field << 3) | wire)

/** A length-delimited field (messages, strings, bytes). */
export const len = (field: number, bytes: Buffer | string): Buffer => {
  const b = typeof bytes === 'string' ? Buffer.from(bytes) : bytes
  return Buffer.concat([tag(field, 2), varint(b.length), b])
}
export const uvarint = (field: number, n: bigint | number): Buffer => Buffer.concat([tag(field, 0), varint(n)])
export function fixed64(field: number, n: bigint): Buffer {
  const b = Buffer.alloc(8)
  b.writeBigUInt64LE(BigInt.asUintN(64, n))
  return Buffer.concat([tag(field, 1), b])
}
export function double(field: number, d: number): Buffer {
  const b = Buffer.alloc(8)
  b.writeDoubleLE(d)
  return Buffer.concat([tag(field, 1), b])
}
export function fixed32(field: number, n: number): Buffer {
  const b = Buffer.alloc(4)
  b.writeUInt32LE(n >>> 0)
  return Buffer.concat([tag(field, 5), b])
}

// AnyValue and KeyValue (opentelemetry/proto/common/v1).
export const str = (s: string) => len(1, s)
export const bool = (b: boolean) => uvarint(2, b ? 1 : 0)
export const int = (n: bigint | number) => uvarint(3, n)
export const dbl = (d: number) => double(4, d)
export const arr = (...values: Buffer[]) => len(5, Buffer.concat(values.map((v) => len(1, v))))
export const kvlist = (...entries: Buffer[]) => len(6, Buffer.concat(entries.map((e) => len(1, e))))
export const bytes = (b: Buffer) => len(7, b)
export const kv = (key: string, value?: Buffer) => Buffer.concat([len(1, key), ...(value ? [len(2, value)] : [])])

/** ExportLogsServiceRequest with one resource (attributes, schema url) and one scope holding `records` (each the LogRecord's fields). */
export function logsRequest(resource: { attributes: Buffer[]; schemaUrl?: string }, scope: { name?: string; version?: string; attributes?: Buffer[]; schemaUrl?: string }, records: Buffer[]): Buffer {
  const scopeMsg = Buffer.concat([...(scope.name ? [len(1, scope.name)] : []), ...(scope.version ? [len(2, scope.version)] : []), ...(scope.attributes ?? []).map((a) => len(3, a))])
  const scopeLogs = Buffer.concat([len(1, scopeMsg), ...records.map((r) => len(2, r)), ...(scope.schemaUrl ? [len(3, scope.schemaUrl)] : [])])
  const resourceMsg = Buffer.concat(resource.attributes.map((a) => len(1, a)))
  const resourceLogs = Buffer.concat([len(1, resourceMsg), len(2, scopeLogs), ...(resource.schemaUrl ? [len(3, resource.schemaUrl)] : [])])
  return len(1, resourceLogs)
}

// Metric points: packed repeated fields, sint32, attributes as fields.
export const concat = (...parts: Buffer[]): Buffer => Buffer.concat(parts)
export const sint32 = (field: number, n: number): Buffer => uvarint(field, ((n << 1) ^ (n >> 31)) >>> 0)
const eight = (write: (b: Buffer) => void): Buffer => {
  const b = Buffer.alloc(8)
  write(b)
  return b
}
export const packedFixed64 = (field: number, ns: bigint[]): Buffer => len(field, Buffer.concat(ns.map((n) => eight((b) => b.writeBigUInt64LE(n)))))
export const packedDouble = (field: number, ds: number[]): Buffer => len(field, Buffer.concat(ds.map((d) => eight((b) => b.writeDoubleLE(d)))))
export const packedVarint = (field: number, ns: (bigint | number)[]): Buffer => len(field, Buffer.concat(ns.map((n) => varint(n))))
/** A KeyValue field with a string AnyValue. */
export const stringAttribute = (field: number, key: string, value: string): Buffer => len(field, kv(key, str(value)))
