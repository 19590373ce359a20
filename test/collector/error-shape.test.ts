import { describe, expect, it } from 'vitest'
import { sharedCollector } from './harness.ts'

// One JSON error shape for everything the collector answers outside OTLP (the
// same as the API's), while the OTLP endpoints keep OTLP's google.rpc.Status.

const shared = sharedCollector()

async function answer(path: string, init: RequestInit) {
  const res = await fetch(`${shared.c.url}${path}`, init)
  return { status: res.status, type: res.headers.get('content-type'), body: (await res.json()) as unknown }
}

describe('collector error answers', () => {
  it.each([
    ['an unknown path', '/v2/traces', { method: 'POST', body: '{}' }, 404, 'not_found', /no receiver at \/v2\/traces/],
    ['a GET on a receiver', '/v1/traces', { method: 'GET' }, 405, 'method_not_allowed', /GET is not allowed on \/v1\/traces; use POST/],
    ['remote_write without snappy', '/api/v1/write', { method: 'POST', body: 'x', headers: { 'content-type': 'application/x-protobuf', 'content-encoding': 'gzip' } }, 415, 'unsupported_media_type', /snappy/],
    ['remote_write of a body that is not snappy', '/api/v1/write', { method: 'POST', body: Buffer.from([0x05, 0xff, 0xff]), headers: { 'content-type': 'application/x-protobuf', 'content-encoding': 'snappy' } }, 400, 'bad_request', /not valid snappy|not snappy/],
  ] as const)('%s: { error: { code, message } }', async (_what, path, init, status, code, message) => {
    const res = await answer(path, init as RequestInit)
    expect(res.status).toBe(status)
    expect(res.type).toBe('application/json')
    expect(res.body).toEqual({ error: { code, message: expect.stringMatching(message) } })
  })

  it('keeps OTLP Status on the OTLP endpoints', async () => {
    const res = await answer('/v1/traces', { method: 'POST', body: 'not json', headers: { 'content-type': 'application/json' } })
    expect(res.status).toBe(400)
    expect(res.body).toEqual({ code: 3, message: expect.any(String) })
  })
})
