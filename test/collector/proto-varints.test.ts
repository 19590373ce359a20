// Varints the wire format does not allow are a 400, never a value read modulo
// 2^32 or 2^64: more than 10 bytes, a 10th byte carrying more than bit 63, and
// tags or lengths that do not fit 32 bits.
import { describe, expect, it } from 'vitest'
import { sharedCollector } from './harness.ts'
import { fixed64, len, varint } from './proto-writer.ts'
import { ProtoReader } from '../../collector/otlp/proto-reader.ts'

const shared = sharedCollector()

const START = 1714557600000000000n
/** A span with `kind` given as raw varint bytes after its tag (field 6, wire type 0). */
function span(spanId: string, kindBytes: Buffer): Buffer {
  return Buffer.concat([
    len(1, Buffer.from('5bf92f3577b34da6a3ce929d0e0e4736', 'hex')),
    len(2, Buffer.from(spanId, 'hex')),
    len(5, 'varint-op'),
    varint((6 << 3) | 0),
    kindBytes,
    fixed64(7, START),
    fixed64(8, START + 1000n),
  ])
}
const request = (spanBytes: Buffer) => len(1, len(2, len(2, spanBytes)))

async function post(request: Buffer): Promise<{ status: number; message: string }> {
  const res = await fetch(`${shared.c.url}/v1/traces`, { method: 'POST', headers: { 'content-type': 'application/x-protobuf' }, body: request })
  const body = Buffer.from(await res.arrayBuffer())
  if (res.status === 200) return { status: 200, message: '' }
  // google.rpc.Status: code (1, varint), message (2, string).
  const r = new ProtoReader(body)
  expect(r.tag(body.length)).toBe(0x08)
  r.varint32()
  expect(r.tag(body.length)).toBe(0x12)
  return { status: res.status, message: r.string(body.length) }
}

describe('protobuf varints', () => {
  it('accepts a 10-byte varint that fits 64 bits (a negative int32 enum, sign-extended as protobuf sends it)', async () => {
    const minusOne = Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01])
    expect((await post(request(span('00000000000000d1', minusOne)))).status).toBe(200)
    const rows = await shared.h.storage.query("SELECT SpanKind FROM otel_traces WHERE SpanId = '00000000000000d1'")
    expect(rows).toHaveLength(1)
  })

  it.each([
    ['an 11-byte varint', Buffer.from([0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00]), 'longer than 10 bytes'],
    ['a 10th byte beyond bit 63', Buffer.from([0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x02]), 'overflows 64 bits'],
  ])('refuses %s with a 400', async (_name, kindBytes, reason) => {
    const res = await post(request(span('00000000000000d2', kindBytes)))
    expect(res.status).toBe(400)
    expect(res.message).toContain(`cannot decode the OTLP protobuf body: varint ${reason}`)
  })

  it('refuses a length of 2^32 instead of reading it as 0', async () => {
    // resource_spans (field 1, wire 2) with a 5-byte length prefix whose value is exactly 2^32.
    const res = await post(Buffer.from([0x0a, 0x80, 0x80, 0x80, 0x80, 0x10]))
    expect(res.status).toBe(400)
    expect(res.message).toContain('length does not fit 32 bits')
  })

  it('refuses a tag that does not fit 32 bits', async () => {
    const res = await post(Buffer.from([0x8a, 0x80, 0x80, 0x80, 0x70, 0x00]))
    expect(res.status).toBe(400)
    expect(res.message).toContain('tag does not fit 32 bits')
  })
})
