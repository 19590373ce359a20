// The project's table of hostile inputs: what a careless or hostile sender or
// team can send to a running cairn, and the answer each must get. One table,
// read by `npm run bench:abuse` (how long each holds the process) and by
// test/abuse/hostile-inputs.test.ts (its status, and the service still healthy
// and accepting right after it).

import { gzipSync } from 'node:zlib'
import { compressSync } from 'snappy'
import { concat, kv, kvlist, len, str, uvarint, varint } from '../test/collector/proto-writer.ts'

export type Target = 'collector' | 'api'

export interface HostileInput {
  name: string
  /** What it is and why it is hostile. */
  what: string
  target: Target
  method: 'GET' | 'POST' | 'PUT'
  path: string
  headers?: Record<string, string>
  /** Built once, on first use (some are tens of MiB). */
  body?: () => Buffer
  /** Sent in `chunks` pieces, one every `intervalMs` (a slowloris sender). */
  slow?: { chunks: number; intervalMs: number }
  /** The answer expected (any of them). */
  expect: readonly number[]
  /** A test of what the body says, when the status alone does not show the outcome. */
  check?: (body: string) => boolean
}

/** Kinds whose outcome another engineer's fix of issue 10 provides; the test skips them until the lead empties this set. */
export const PENDING_OTHER_FIXES: ReadonlySet<string> = new Set([
  'slo-put-re2-rejected-regex', // engineer "engine": regexes compiled by RE2 at PUT
  'slo-put-long-window-100000d', // engineer "engine": alert-policy windows bounded
])

const MiB = 1024 * 1024
const JSON_HEADERS = { 'content-type': 'application/json' }
const GZIP_JSON_HEADERS = { ...JSON_HEADERS, 'content-encoding': 'gzip' }
const PROTO_HEADERS = { 'content-type': 'application/x-protobuf' }
const YAML_HEADERS = { 'content-type': 'application/yaml' }
const RW_HEADERS = { 'content-type': 'application/x-protobuf', 'content-encoding': 'snappy', 'x-prometheus-remote-write-version': '0.1.0' }

const nowNs = () => BigInt(Date.now()) * 1_000_000n
const hex = (n: number, bytes: number) => n.toString(16).padStart(bytes * 2, '0')

/** An OTLP/JSON span of the trace `i`. */
function jsonSpan(i: number, startNs = nowNs(), extra: Record<string, unknown> = {}) {
  return { traceId: hex(i + 1, 16), spanId: hex(i + 1, 8), name: 'GET /hostile', kind: 2, startTimeUnixNano: String(startNs), endTimeUnixNano: String(startNs + 1_000_000n), ...extra }
}

function jsonTraces(spans: unknown[], attributes: unknown[] = [{ key: 'service.name', value: { stringValue: 'hostile' } }]): Buffer {
  return Buffer.from(JSON.stringify({ resourceSpans: [{ resource: { attributes }, scopeSpans: [{ scope: { name: 'abuse' }, spans }] }] }))
}

/** An OTLP protobuf span (trace_id 1, span_id 2, name 5, kind 6, start 7, end 8 as fixed64, attributes 9). */
function protoSpan(i: number, attributes: Buffer[] = []): Buffer {
  const t = nowNs()
  const fixed = (field: number, n: bigint) => {
    const b = Buffer.alloc(8)
    b.writeBigUInt64LE(n)
    return concat(varint((field << 3) | 1), b)
  }
  return concat(
    len(1, Buffer.from(hex(i + 1, 16), 'hex')),
    len(2, Buffer.from(hex(i + 1, 8), 'hex')),
    len(5, 'GET /hostile'),
    uvarint(6, 2),
    fixed(7, t),
    fixed(8, t + 1_000_000n),
    ...attributes.map((a) => len(9, a)),
  )
}

export function protoTraces(spans: Buffer[]): Buffer {
  const resource = len(1, kv('service.name', str('hostile')))
  const scopeSpans = Buffer.concat([len(1, len(1, 'abuse')), ...spans.map((s) => len(2, s))])
  return len(1, concat(len(1, resource), len(2, scopeSpans)))
}

/** A normal request of about `bytes`: spans of ten attributes each, protobuf, as an SDK sends them. */
export function normalTraces(bytes = MiB): Buffer {
  const attributes = Array.from({ length: 10 }, (_, k) => kv(`attribute.${k}`, str(`value of attribute ${k}`)))
  const one = protoSpan(0, attributes).length + 3
  return protoTraces(Array.from({ length: Math.floor(bytes / one) }, (_, i) => protoSpan(i, attributes)))
}

/** A remote_write request of one series with these labels (name, value pairs in the order given) and one sample. */
function writeRequest(labels: [string, string][]): Buffer {
  const sample = concat(Buffer.from([0x09]), Buffer.alloc(8), uvarint(2, Date.now()))
  const series = Buffer.concat([...labels.map(([n, v]) => len(1, concat(len(1, n), len(2, v)))), len(2, sample)])
  return compressSync(len(1, series))
}

const many = (n: number, f: (i: number) => [string, string]) => Array.from({ length: n }, (_, i) => f(i))

/** A cairn/v1 SLO spec; `extra` is appended under spec. */
export function sloSpec(name: string, service = 'abuse', extra = ''): string {
  return [
    'apiVersion: cairn/v1',
    'kind: SLO',
    'metadata:',
    `  name: ${name}`,
    `  service: ${service}`,
    'spec:',
    '  objective: 99.9',
    '  window: 30d',
    '  sli:',
    '    spans:',
    `      service: ${service}`,
    '      spanName: GET /x',
    '      bad: error',
    extra,
  ].join('\n')
}

const billionLaughs = ['a: &a [x, x, x, x, x, x, x, x, x]', ...'bcdefgh'.split('').map((c, i) => `${c}: &${c} [${Array(9).fill(`*${'abcdefg'[i]}`).join(', ')}]`)].join('\n')

/** A protobuf AnyValue nested `depth` arrays deep, built outside in (nesting by concatenation would copy depth² bytes). */
function nestedAnyValue(depth: number): Buffer {
  const bottom = str('bottom')
  // Level i (0 = innermost array): AnyValue{array_value(5) = ArrayValue{values(1) = inner}}.
  const prefixes: Buffer[] = []
  let inner = bottom.length
  for (let i = 0; i < depth; i++) {
    const values = concat(Buffer.from([0x0a]), varint(inner))
    const array = concat(Buffer.from([0x2a]), varint(values.length + inner))
    prefixes.push(concat(array, values))
    inner += values.length + array.length
  }
  return Buffer.concat([...prefixes.reverse(), bottom])
}

const t = (input: HostileInput) => input

export const HOSTILE_INPUTS: readonly HostileInput[] = [
  // ---- OTLP/JSON ----
  t({ name: 'otlp-json-gzip-60mib-empty-objects', what: 'gzip of 60 MiB of `{},` (20 million objects once parsed)', target: 'collector', method: 'POST', path: '/v1/traces', headers: GZIP_JSON_HEADERS, body: () => gzipSync(Buffer.from(`{"resourceSpans":[${'{},'.repeat(20 * MiB - 1)}{}]}`), { level: 9 }), expect: [413] }),
  t({ name: 'otlp-json-200k-nested-brackets', what: '200,000 nested `[`', target: 'collector', method: 'POST', path: '/v1/traces', headers: JSON_HEADERS, body: () => Buffer.from(`{"resourceSpans":${'['.repeat(200_000)}`), expect: [400] }),
  t({ name: 'otlp-json-deep-anyvalue', what: 'an attribute value of kvlists nested 40 deep', target: 'collector', method: 'POST', path: '/v1/traces', headers: JSON_HEADERS, body: () => {
    let value: unknown = { stringValue: 'bottom' }
    for (let i = 0; i < 40; i++) value = { kvlistValue: { values: [{ key: 'k', value }] } }
    return jsonTraces([jsonSpan(0, nowNs(), { attributes: [{ key: 'deep', value }] })])
  }, expect: [400] }),
  t({ name: 'otlp-json-16mib-string', what: 'one attribute value of 16 MiB', target: 'collector', method: 'POST', path: '/v1/traces', headers: JSON_HEADERS, body: () => jsonTraces([jsonSpan(0, nowNs(), { attributes: [{ key: 'huge', value: { stringValue: 'x'.repeat(16 * MiB) } }] })]), expect: [200] }),
  t({ name: 'otlp-json-200k-attributes', what: '200,000 attributes on one span', target: 'collector', method: 'POST', path: '/v1/traces', headers: JSON_HEADERS, body: () => jsonTraces([jsonSpan(0, nowNs(), { attributes: Array.from({ length: 200_000 }, (_, i) => ({ key: `k${i}`, value: { stringValue: 'v' } })) })]), expect: [200] }),
  t({ name: 'otlp-json-1m-array-values', what: 'an array attribute of a million values (over the JSON value limit)', target: 'collector', method: 'POST', path: '/v1/traces', headers: JSON_HEADERS, body: () => jsonTraces([jsonSpan(0, nowNs(), { attributes: [{ key: 'a', value: { arrayValue: { values: Array.from({ length: 1_000_000 }, () => ({ intValue: 1 })) } } }] })]), expect: [413] }),
  t({ name: 'otlp-json-million-digit-timestamp', what: 'startTimeUnixNano of a million digits (BigInt is quadratic in it)', target: 'collector', method: 'POST', path: '/v1/traces', headers: JSON_HEADERS, body: () => jsonTraces([jsonSpan(0, nowNs(), { startTimeUnixNano: '9'.repeat(1_000_000) })]), expect: [400] }),
  t({ name: 'otlp-json-million-digit-int-attribute', what: 'an intValue of a million digits', target: 'collector', method: 'POST', path: '/v1/traces', headers: JSON_HEADERS, body: () => jsonTraces([jsonSpan(0, nowNs(), { attributes: [{ key: 'n', value: { intValue: '9'.repeat(1_000_000) } }] })]), expect: [400] }),
  t({ name: 'otlp-json-50k-resources', what: '50,000 resource groups of one log record each', target: 'collector', method: 'POST', path: '/v1/logs', headers: JSON_HEADERS, body: () => Buffer.from(JSON.stringify({ resourceLogs: Array.from({ length: 50_000 }, (_, i) => ({ resource: { attributes: [{ key: 'service.name', value: { stringValue: `s${i}` } }] }, scopeLogs: [{ logRecords: [{ timeUnixNano: String(nowNs()), body: { stringValue: 'x' } }] }] })) })), expect: [200] }),
  t({ name: 'otlp-json-invalid', what: 'truncated JSON', target: 'collector', method: 'POST', path: '/v1/traces', headers: JSON_HEADERS, body: () => Buffer.from('{"resourceSpans": [{"resource": '), expect: [400] }),
  t({ name: 'otlp-spans-on-101-future-days', what: 'spans on 101 distinct future days (one insert block over 100 partitions)', target: 'collector', method: 'POST', path: '/v1/traces', headers: JSON_HEADERS, body: () => jsonTraces(Array.from({ length: 101 }, (_, d) => jsonSpan(d, nowNs() + BigInt(d + 1) * 86_400_000_000_000n))), expect: [200], check: (b) => /rejectedSpans/.test(b) }),
  // ---- OTLP transport ----
  t({ name: 'otlp-wrong-content-type', what: 'text/html', target: 'collector', method: 'POST', path: '/v1/traces', headers: { 'content-type': 'text/html' }, body: () => Buffer.from('<html></html>'), expect: [415] }),
  t({ name: 'otlp-unsupported-encoding', what: 'Content-Encoding br', target: 'collector', method: 'POST', path: '/v1/traces', headers: { ...JSON_HEADERS, 'content-encoding': 'br' }, body: () => Buffer.from('{}'), expect: [415] }),
  t({ name: 'otlp-bad-gzip', what: 'a gzip header followed by garbage', target: 'collector', method: 'POST', path: '/v1/traces', headers: GZIP_JSON_HEADERS, body: () => Buffer.concat([Buffer.from([0x1f, 0x8b, 0x08, 0, 0, 0, 0, 0, 0, 3]), Buffer.alloc(4096, 0xff)]), expect: [400] }),
  t({ name: 'otlp-gzip-bomb-1gib', what: '1 GiB of zeros in 1 MiB of gzip', target: 'collector', method: 'POST', path: '/v1/traces', headers: GZIP_JSON_HEADERS, body: () => gzipSync(Buffer.alloc(1024 * MiB), { level: 9 }), expect: [413] }),
  // Refused on its declared length before a byte is read (the sender may keep writing into a closed connection: 1 KiB is sent).
  t({ name: 'otlp-oversized-body', what: 'a body declaring 65 MiB, over collector.maxBodyBytes', target: 'collector', method: 'POST', path: '/v1/traces', headers: { ...PROTO_HEADERS, 'content-length': String(65 * MiB) }, body: () => Buffer.alloc(1024), expect: [413] }),
  t({ name: 'otlp-slowloris', what: 'a 1 MiB body declared, sent 10 bytes every 500 ms', target: 'collector', method: 'POST', path: '/v1/traces', headers: { ...PROTO_HEADERS, 'content-length': String(MiB) }, body: () => Buffer.alloc(100), slow: { chunks: 10, intervalMs: 500 }, expect: [408] }),
  t({ name: 'otlp-get-method', what: 'GET on a receiver', target: 'collector', method: 'GET', path: '/v1/traces', expect: [405] }),
  // ---- OTLP protobuf ----
  t({ name: 'otlp-proto-huge-declared-length', what: 'a field declaring 2 GiB of bytes in a 10-byte body', target: 'collector', method: 'POST', path: '/v1/traces', headers: PROTO_HEADERS, body: () => concat(Buffer.from([0x0a]), varint(2 ** 31)), expect: [400] }),
  t({ name: 'otlp-proto-nested-anyvalue-100k', what: 'an attribute of 100,000 nested array values', target: 'collector', method: 'POST', path: '/v1/traces', headers: PROTO_HEADERS, body: () => protoTraces([protoSpan(0, [kv('deep', nestedAnyValue(100_000))])]), expect: [400] }),
  t({ name: 'otlp-proto-deep-kvlist-40', what: 'an attribute of kvlists nested 40 deep', target: 'collector', method: 'POST', path: '/v1/traces', headers: PROTO_HEADERS, body: () => {
    let v = str('bottom')
    for (let i = 0; i < 40; i++) v = kvlist(kv('k', v))
    return protoTraces([protoSpan(0, [kv('deep', v)])])
  }, expect: [400] }),
  t({ name: 'otlp-proto-200k-spans', what: '200,000 minimal spans in one 16 MiB request', target: 'collector', method: 'POST', path: '/v1/traces', headers: PROTO_HEADERS, body: () => protoTraces(Array.from({ length: 200_000 }, (_, i) => protoSpan(i))), expect: [200] }),
  t({ name: 'otlp-proto-overlong-varint', what: 'a span kind as an 11-byte varint', target: 'collector', method: 'POST', path: '/v1/traces', headers: PROTO_HEADERS, body: () => protoTraces([concat(protoSpan(0), Buffer.from([0x30, 0x82, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00]))]), expect: [400] }),
  t({ name: 'otlp-proto-garbage', what: '1 MiB of random bytes', target: 'collector', method: 'POST', path: '/v1/metrics', headers: PROTO_HEADERS, body: () => Buffer.from(Array.from({ length: MiB }, (_, i) => (i * 2654435761) >>> 24)), expect: [400] }),
  // ---- remote_write ----
  t({ name: 'rw-20k-labels-descending', what: 'one series with 20,000 labels in descending order', target: 'collector', method: 'POST', path: '/api/v1/write', headers: RW_HEADERS, body: () => writeRequest([['__name__', 'hostile_gauge'], ...many(20_000, (i) => [`l${String(20_000 - i).padStart(5, '0')}`, 'v'] as [string, string])]), expect: [204] }),
  t({ name: 'rw-20k-duplicate-labels', what: 'one series with the same label name 20,000 times', target: 'collector', method: 'POST', path: '/api/v1/write', headers: RW_HEADERS, body: () => writeRequest([['__name__', 'hostile_gauge'], ...many(20_000, (i) => ['dup', `v${i}`] as [string, string])]), expect: [204] }),
  t({ name: 'rw-20k-unsorted-labels', what: 'one series with 20,000 labels in shuffled order', target: 'collector', method: 'POST', path: '/api/v1/write', headers: RW_HEADERS, body: () => writeRequest([...many(20_000, (i) => [`l${(i * 7919) % 20_000}`, 'v'] as [string, string]), ['__name__', 'hostile_gauge']]), expect: [204] }),
  t({ name: 'rw-snappy-declared-2gib', what: 'a snappy block declaring 2 GiB uncompressed', target: 'collector', method: 'POST', path: '/api/v1/write', headers: RW_HEADERS, body: () => concat(varint(2 ** 31), Buffer.alloc(64)), expect: [413] }),
  // Zeros read as empty fields numbered 0, skipped as unknown: an empty WriteRequest (204) or a 400, never a stall.
  t({ name: 'rw-snappy-bomb-60mib-zeros', what: '60 MiB of zeros in about 3 MiB of snappy', target: 'collector', method: 'POST', path: '/api/v1/write', headers: RW_HEADERS, body: () => compressSync(Buffer.alloc(60 * MiB)), expect: [204, 400] }),
  t({ name: 'rw-not-snappy', what: 'an uncompressed body', target: 'collector', method: 'POST', path: '/api/v1/write', headers: RW_HEADERS, body: () => Buffer.from([0x05, 0xff, 0xff]), expect: [400] }),
  t({ name: 'rw-8mib-label-value', what: 'one label value of 8 MiB', target: 'collector', method: 'POST', path: '/api/v1/write', headers: RW_HEADERS, body: () => writeRequest([['__name__', 'hostile_gauge'], ['huge', 'x'.repeat(8 * MiB)]]), expect: [204] }),
  // ---- SLO specs ----
  t({ name: 'slo-validate-20k-key-mapping', what: 'a 20,000-key YAML mapping (~190 KB)', target: 'api', method: 'POST', path: '/api/v1/slos/validate', headers: YAML_HEADERS, body: () => Buffer.from(many(20_000, (i) => [`k${i}`, 'v']).map(([k, v]) => `${k}: ${v}`).join('\n')), expect: [413] }),
  t({ name: 'slo-validate-200k-brackets', what: '200,000 nested `[`', target: 'api', method: 'POST', path: '/api/v1/slos/validate', headers: YAML_HEADERS, body: () => Buffer.from('['.repeat(200_000)), expect: [400] }),
  t({ name: 'slo-validate-10k-block-dashes', what: '`- ` 10,000 times on one line (ran the yaml parser out of memory)', target: 'api', method: 'POST', path: '/api/v1/slos/validate', headers: YAML_HEADERS, body: () => Buffer.from(`${'- '.repeat(10_000)}x`), expect: [400] }),
  t({ name: 'slo-validate-billion-laughs', what: 'aliases expanding to 9^8 nodes', target: 'api', method: 'POST', path: '/api/v1/slos/validate', headers: YAML_HEADERS, body: () => Buffer.from(billionLaughs), expect: [200], check: (b) => /"valid":false/.test(b) && /alias/.test(b) }),
  t({ name: 'slo-put-billion-laughs', what: 'aliases expanding to 9^8 nodes, PUT', target: 'api', method: 'PUT', path: '/api/v1/slos/abuse-laughs', headers: YAML_HEADERS, body: () => Buffer.from(`${billionLaughs}\n`), expect: [400] }),
  t({ name: 'slo-put-300kib-body', what: 'a PUT body of 300 KiB', target: 'api', method: 'PUT', path: '/api/v1/slos/abuse-big', headers: YAML_HEADERS, body: () => Buffer.from(`${sloSpec('big')}\n# ${'x'.repeat(300 * 1024)}\n`), expect: [413] }),
  t({ name: 'slo-validate-duplicate-keys', what: 'a key given twice', target: 'api', method: 'POST', path: '/api/v1/slos/validate', headers: YAML_HEADERS, body: () => Buffer.from(`${sloSpec('dup')}\nkind: SLO\n`), expect: [200], check: (b) => /"valid":false/.test(b) && /unique/.test(b) }),
  t({ name: 'slo-validate-400-slos', what: '400 SLOs in one body (~120 KB)', target: 'api', method: 'POST', path: '/api/v1/slos/validate', headers: YAML_HEADERS, body: () => Buffer.from(Array.from({ length: 400 }, (_, i) => sloSpec(`n${i}`)).join('\n---\n')), expect: [200], check: (b) => /"valid":true/.test(b) }),
  t({ name: 'slo-validate-not-utf8', what: 'bytes that are not UTF-8', target: 'api', method: 'POST', path: '/api/v1/slos/validate', headers: YAML_HEADERS, body: () => Buffer.from([0xff, 0xfe, 0xfd, 0x0a]), expect: [400] }),
  t({ name: 'slo-validate-wrong-content-type', what: 'application/octet-stream', target: 'api', method: 'POST', path: '/api/v1/slos/validate', headers: { 'content-type': 'application/octet-stream' }, body: () => Buffer.from('x: 1'), expect: [415] }),
  t({ name: 'slo-put-re2-rejected-regex', what: 'spanName regex \\cA (JavaScript accepts it, RE2 does not)', target: 'api', method: 'PUT', path: '/api/v1/slos/abuse-re2', headers: YAML_HEADERS, body: () => Buffer.from(sloSpec('re2').replace('spanName: GET /x', 'spanName: { re: "\\\\cA" }')), expect: [400] }),
  t({ name: 'slo-put-long-window-100000d', what: 'an alert policy with longWindow: 100000d', target: 'api', method: 'PUT', path: '/api/v1/slos/abuse-window', headers: YAML_HEADERS, body: () => Buffer.from(sloSpec('window', 'abuse', ['  alerting:', '    policy:', '      page: { quick: { errorBudgetPercent: 2, shortWindow: 5m, longWindow: 100000d }, slow: { errorBudgetPercent: 5, shortWindow: 30m, longWindow: 6h } }', '      ticket: { quick: { errorBudgetPercent: 10, shortWindow: 2h, longWindow: 1d }, slow: { errorBudgetPercent: 10, shortWindow: 6h, longWindow: 3d } }', ''].join('\n'))), expect: [400] }),
  // ---- API parameters ----
  t({ name: 'api-logs-to-far-future', what: '`to` of 99,999,999,999,999', target: 'api', method: 'GET', path: '/api/v1/logs?to=99999999999999', expect: [400] }),
  t({ name: 'api-history-step-2pow32', what: '`step` of 2^32 seconds', target: 'api', method: 'GET', path: '/api/v1/slos/abuse-x/history?step=4294967296s', expect: [400] }),
  t({ name: 'api-100kib-url', what: 'a query string of 100 KiB', target: 'api', method: 'GET', path: `/api/v1/slos?q=${'a'.repeat(100 * 1024)}`, expect: [431, 414, 400] }),
]

/** The input whose four concurrent copies make the memory worst case. */
export const WORST_CASE = 'otlp-json-gzip-60mib-empty-objects'

const built = new Map<string, Buffer>()

/** The body of an input, built on first use and kept. */
export function bodyOf(input: HostileInput): Buffer | undefined {
  if (!input.body) return undefined
  let b = built.get(input.name)
  if (!b) built.set(input.name, (b = input.body()))
  return b
}

/** The configuration a server under these inputs runs with: a short body timeout, so the slowloris kind ends within a run. */
export const HOSTILE_SERVER_CONFIG = 'collector:\n  bodyTimeoutMs: 2000\n'
