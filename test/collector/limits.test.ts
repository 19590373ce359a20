// collector.limits: attributes past the count are dropped, keys, values and log
// bodies cut at a UTF-8 boundary, each cut counted and the sender warned through
// partial_success (nothing rejected), the same for protobuf and JSON.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { configSchema } from '../../config/index.ts'
import { metricValue, openHarness, type Harness, type RunningCollector } from './harness.ts'
import * as P from './proto-writer.ts'
import { BinaryWriter } from '../../collector/rows/binary.ts'
import { Limiter } from '../../collector/otlp/limits.ts'

let h: Harness
let c: RunningCollector
beforeAll(async () => {
  h = await openHarness()
  c = await h.startCollector({ collector: { limits: { maxAttributes: 3, maxAttributeKeyBytes: 8, maxAttributeValueBytes: 10, maxLogBodyBytes: 16 } } })
})
afterAll(async () => {
  await c?.stop()
  await h?.close()
})

const T = 1714557600000000000n
const attr = (key: string, value: string) => ({ key, value: { stringValue: value } })
/** An OTLP/JSON span with its own span id and `fields` (attributes, events, links). */
const jsonSpan = (spanId: string, fields: object) => ({
  traceId: '6bf92f3577b34da6a3ce929d0e0e4736',
  spanId,
  name: 'op',
  startTimeUnixNano: String(T),
  endTimeUnixNano: String(T + 1000n),
  ...fields,
})
const post = (signal: string, body: Buffer | string, type: string) => fetch(`${c.url}/v1/${signal}`, { method: 'POST', headers: { 'content-type': type }, body })

describe('collector.limits', () => {
  it('has defaults an SRE can live with: 128 attributes, 256-byte keys, 16 KiB values, 256 KiB log bodies', () => {
    expect(configSchema.parse({}).collector.limits).toEqual({ maxAttributes: 128, maxAttributeKeyBytes: 256, maxAttributeValueBytes: 16384, maxLogBodyBytes: 262144 })
    expect(() => configSchema.parse({ collector: { limits: { maxAttributes: 0 } } })).toThrow(/positive/)
  })

  it('cuts span and resource attributes from OTLP/JSON, keeps the service name, and warns the sender', async () => {
    const span = jsonSpan('00000000000000e1', {
      // a key of 12 bytes, a value of 1 + 6×2 bytes (cut inside the é that straddles byte 10), two attributes too many
      attributes: [attr('very.long.key', 'v'), attr('utf8', 'aéééééé'), attr('short', 'ok'), attr('four', '4'), attr('five', '5')],
    })
    const resource = { attributes: [attr('r1', '1'), attr('r2', '2'), attr('r3', '3'), attr('service.name', 'limits-json')] }
    const res = await post('traces', JSON.stringify({ resourceSpans: [{ resource, scopeSpans: [{ spans: [span] }] }] }), 'application/json')
    expect(res.status).toBe(200)
    expect(await res.json()).toEqual({
      partialSuccess: { rejectedSpans: '0', errorMessage: '3 attributes dropped past 3 per set; 1 attribute keys cut to 8 bytes; 1 attribute values cut to 10 bytes' },
    })
    const [row] = await h.storage.query<{ SpanAttributes: Record<string, string>; ResourceAttributes: Record<string, string>; ServiceName: string }>(
      "SELECT SpanAttributes, ResourceAttributes, ServiceName FROM otel_traces WHERE SpanId = '00000000000000e1'",
    )
    expect(row).toEqual({ SpanAttributes: { 'very.lon': 'v', utf8: 'aéééé', short: 'ok' }, ResourceAttributes: { r1: '1', r2: '2', r3: '3' }, ServiceName: 'limits-json' })
    expect(await metricValue(c.registry, 'cairn_collector_truncated_total', { signal: 'traces', protocol: 'otlp_json', what: 'attributes_dropped' })).toBe(3)
  })

  it('cuts log bodies and log attributes from protobuf as sent, beside records within the limits', async () => {
    const records = [
      Buffer.concat([P.fixed64(1, T), P.len(5, P.str('x'.repeat(100))), ...['a', 'b', 'c', 'd'].map((k) => P.stringAttribute(6, k, k))]),
      Buffer.concat([P.fixed64(1, T + 1n), P.len(5, P.str('short body')), P.stringAttribute(6, 'k', 'v')]),
    ]
    const body = P.logsRequest({ attributes: [P.kv('service.name', P.str('limits-proto'))] }, {}, records)
    const res = await post('logs', body, 'application/x-protobuf')
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toBe('application/x-protobuf')
    const rows = await h.storage.query<{ Body: string; LogAttributes: Record<string, string> }>("SELECT Body, LogAttributes FROM otel_logs WHERE ServiceName = 'limits-proto' ORDER BY Timestamp")
    expect(rows).toEqual([
      { Body: 'x'.repeat(16), LogAttributes: { a: 'a', b: 'b', c: 'c' } },
      { Body: 'short body', LogAttributes: { k: 'v' } },
    ])
    expect(await metricValue(c.registry, 'cairn_collector_truncated_total', { signal: 'logs', what: 'bodies_truncated' })).toBe(1)
    expect(await metricValue(c.registry, 'cairn_collector_truncated_total', { signal: 'logs', what: 'attributes_dropped' })).toBe(1)
  })

  it('cuts metric point and exemplar attributes', async () => {
    const four = [attr('a', '1'), attr('b', '2'), attr('c', '3'), attr('d', '4')]
    const exemplars = [{ timeUnixNano: String(T), asDouble: 1, filteredAttributes: four }, { timeUnixNano: String(T), asDouble: 2, filteredAttributes: [attr('long', 'x'.repeat(20))] }]
    const point = { timeUnixNano: String(T), asDouble: 1, attributes: four, exemplars }
    const doc = { resourceMetrics: [{ scopeMetrics: [{ metrics: [{ name: 'limits.gauge', gauge: { dataPoints: [point] } }] }] }] }
    const res = await post('metrics', JSON.stringify(doc), 'application/json')
    expect(await res.json()).toEqual({ partialSuccess: { rejectedDataPoints: '0', errorMessage: '2 attributes dropped past 3 per set; 1 attribute values cut to 10 bytes' } })
    expect(await h.storage.query("SELECT Attributes, Exemplars.FilteredAttributes AS ex, Exemplars.Value AS v FROM otel_metrics_gauge WHERE MetricName = 'limits.gauge'")).toEqual([
      { Attributes: { a: '1', b: '2', c: '3' }, ex: [{ a: '1', b: '2', c: '3' }, { long: 'x'.repeat(10) }], v: [1, 2] },
    ])
  })

  it('cuts span event and link attributes, each event and link on its own', async () => {
    const span = jsonSpan('00000000000000e2', {
      events: [
        { timeUnixNano: String(T), name: 'first', attributes: [attr('a', '1'), attr('b', '2'), attr('c', '3'), attr('d', '4')] },
        { timeUnixNano: String(T), name: 'second', attributes: [attr('e', 'y'.repeat(30))] },
      ],
      links: [{ traceId: '6bf92f3577b34da6a3ce929d0e0e4736', spanId: '00000000000000e1', attributes: [attr('link.key.long', 'v')] }],
    })
    const res = await post('traces', JSON.stringify({ resourceSpans: [{ scopeSpans: [{ spans: [span] }] }] }), 'application/json')
    expect(await res.json()).toEqual({
      partialSuccess: { rejectedSpans: '0', errorMessage: '1 attributes dropped past 3 per set; 1 attribute keys cut to 8 bytes; 1 attribute values cut to 10 bytes' },
    })
    const rows = await h.storage.query("SELECT Events.Name AS names, Events.Attributes AS events, Links.Attributes AS links FROM otel_traces WHERE SpanId = '00000000000000e2'")
    expect(rows).toEqual([{ names: ['first', 'second'], events: [{ a: '1', b: '2', c: '3' }, { e: 'y'.repeat(10) }], links: [{ 'link.key': 'v' }] }])
  })
})

describe('Limiter on RowBinary values', () => {
  /** Reads back a Map(String, String) value written at `start`. */
  function readMap(buf: Buffer, start: number): [number, [string, string][]] {
    let pos = start
    const varint = () => {
      let v = 0
      let scale = 1
      for (;;) {
        const b = buf[pos++]!
        v += (b & 0x7f) * scale
        scale *= 128
        if (b < 0x80) return v
      }
    }
    const string = () => {
      const n = varint()
      pos += n
      return buf.toString('utf8', pos - n, pos)
    }
    const count = varint()
    return [count, Array.from({ length: count }, () => [string(), string()] as [string, string])]
  }

  it('shrinks a map whose count needed two bytes to one that needs one, after a value written before it', () => {
    const w = new BinaryWriter(64)
    w.string('before')
    const start = w.pos
    const at = w.beginCount()
    for (let i = 0; i < 130; i++) {
      w.string(i === 1 ? 'ключ-длинный' : `k${i}`)
      w.string(i === 2 ? '€'.repeat(10) : `v${i}`)
    }
    w.endCount(at, 130)
    const limiter = new Limiter({ maxAttributes: 3, maxAttributeKeyBytes: 9, maxAttributeValueBytes: 7, maxLogBodyBytes: 1 })
    limiter.map(w, start)
    expect(readMap(w.buf, start)).toEqual([3, [['k0', 'v0'], ['ключ-', 'v1'], ['k2', '€€']]])
    expect(w.pos).toBe(start + 1 + 3 + 3 + 10 + 3 + 3 + 7) // count, k0 v0, 'ключ-' (9 bytes: the limit) v1, k2 '€€' (6 of the 7 allowed: a € is 3)
    expect(limiter.counts).toEqual({ attributes_dropped: 127, keys_truncated: 1, values_truncated: 1, bodies_truncated: 0 })
  })
})
