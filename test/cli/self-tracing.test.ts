import { createServer, type IncomingMessage } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, describe, expect, it } from 'vitest'
import { runCairn, startCairn } from '../support/cairn-process.ts'
import { tempDir } from '../support/temp.ts'

const dir = tempDir()
afterAll(() => dir.remove())

describe('traces of cairn itself', () => {
  it('exports a span per API request to OTEL_EXPORTER_OTLP_ENDPOINT', async () => {
    const bodies: unknown[] = []
    const markers: (string | string[] | undefined)[] = []
    const receiver = createServer(async (req: IncomingMessage, res) => {
      const chunks: Buffer[] = []
      for await (const c of req) chunks.push(c as Buffer)
      markers.push(req.headers['x-cairn-self-telemetry'])
      if (req.url === '/v1/traces') bodies.push(JSON.parse(Buffer.concat(chunks).toString('utf8')))
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}')
    })
    await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r))
    const endpoint = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`
    const cairn = await startCairn({ CAIRN_DATA_DIR: dir.path, OTEL_EXPORTER_OTLP_ENDPOINT: endpoint, OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json' })
    try {
      expect((await fetch(`${cairn.apiUrl}/healthz`)).status).toBe(200)
    } finally {
      expect(await cairn.stop()).toBe(0) // shutdown flushes the span processor
      await new Promise<void>((r) => receiver.close(() => r()))
    }
    const text = JSON.stringify(bodies)
    expect(text).toContain('"name":"GET /healthz"')
    expect(text).toContain('{"key":"service.name","value":{"stringValue":"cairn"}}')
    expect(text).toContain('{"key":"http.response.status_code","value":{"intValue":200}}')
    expect(text).toContain('{"key":"http.route","value":{"stringValue":"/healthz"}}')
    expect(text).toContain('"kind":2') // Server
    // Marked as cairn's own export, so that a cairn collector receiving it records no span for it.
    expect(markers.length).toBeGreaterThan(0)
    expect(markers.every((m) => m === '1')).toBe(true)
  })

  it('refuses to start with an endpoint that is not a URL, naming the variable', async () => {
    const run = await runCairn(['serve'], { CAIRN_DATA_DIR: dir.path, CAIRN_HTTP_PORT: '0', CAIRN_OTLP_PORT: '0', OTEL_EXPORTER_OTLP_ENDPOINT: 'otel:4318' })
    expect(run.code).toBe(2)
    expect(run.stderr).toBe('cairn: invalid configuration:\n  OTEL_EXPORTER_OTLP_ENDPOINT: expected an http:// or https:// URL (got "otel:4318")\n')
  })
})
