import { randomBytes } from 'node:crypto'
import { expect } from 'vitest'

/**
 * Posts `count` server spans of `service` to a collector over OTLP/HTTP JSON,
 * all at `atMs` (5 ms long), the first `errors` of them with status Error; in
 * bodies of at most 2,000 spans, each of which must be acknowledged.
 */
export async function postSpans(otlpUrl: string, service: string, count: number, errors: number, atMs: number): Promise<void> {
  const ns = BigInt(atMs) * 1_000_000n
  for (let sent = 0; sent < count; sent += 2000) {
    const spans = Array.from({ length: Math.min(2000, count - sent) }, (_, i) => ({
      traceId: randomBytes(16).toString('hex'),
      spanId: randomBytes(8).toString('hex'),
      name: 'POST /pay',
      kind: 2,
      startTimeUnixNano: String(ns),
      endTimeUnixNano: String(ns + 5_000_000n),
      status: { code: sent + i < errors ? 2 : 1 },
    }))
    const body = { resourceSpans: [{ resource: { attributes: [{ key: 'service.name', value: { stringValue: service } }] }, scopeSpans: [{ spans }] }] }
    const res = await fetch(`${otlpUrl}/v1/traces`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })
    expect(res.status).toBe(200)
    expect(await res.json()).toEqual({})
  }
}
