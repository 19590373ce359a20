import { spawn, type ChildProcess } from 'node:child_process'
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, expect } from 'vitest'
import { startClickHouseShim, type ClickHouseShim } from '../support/clickhouse-http-shim.ts'
import { startCairn, type CairnServer } from '../support/cairn-process.ts'
import { freePort } from '../support/ports.ts'
import { requireTool } from '../support/needs.ts'
import { toolPath } from '../support/requirements.ts'
import { tempDir } from '../support/temp.ts'

// docker-compose.yml's collectors scaled out, for real: deploy/nginx/collectors.conf
// in a real nginx, its two upstreams pointed at two `cairn collector` processes
// on one ClickHouse server (the shim). Senders see one endpoint; both
// collectors take requests; every span is stored once.

const root = fileURLToPath(new URL('../../', import.meta.url))
const dir = tempDir('cairn-lb-')
let shim: ClickHouseShim
const collectors: CairnServer[] = []
let nginx: ChildProcess | undefined
let lbUrl = ''

const needs = requireTool('nginx')
const it = needs.it

beforeAll(async () => {
  if (!needs.available) return
  shim = await startClickHouseShim({ dataDir: join(dir.path, 'clickhouse') })
  for (const name of ['a', 'b']) {
    collectors.push(await startCairn({ CAIRN_CLICKHOUSE_URL: shim.url, CAIRN_DATA_DIR: join(dir.path, name), CAIRN_SELF_TRACES: 'off' }, 'collector'))
  }
  const port = await freePort()
  const conf = readFileSync(join(root, 'deploy/nginx/collectors.conf'), 'utf8')
    .replace(/cairn-collector-a:4318/, `127.0.0.1:${collectors[0]!.otlpPort}`)
    .replace(/cairn-collector-b:4318/, `127.0.0.1:${collectors[1]!.otlpPort}`)
    .replace(/listen 4318;/, `listen 127.0.0.1:${port};`)
  expect(conf).not.toMatch(/cairn-collector-/)
  for (const sub of ['body', 'proxy', 'logs']) mkdirSync(join(dir.path, 'nginx', sub), { recursive: true })
  writeFileSync(join(dir.path, 'nginx', 'collectors.conf'), conf)
  const n = join(dir.path, 'nginx')
  // The main file nginx's image brings, reduced to what a test run needs (paths in the temp dir).
  writeFileSync(join(n, 'nginx.conf'), [
    process.getuid?.() === 0 ? 'user root;' : '',
    'daemon off;', 'master_process off;', `pid ${n}/nginx.pid;`, `error_log ${n}/logs/error.log warn;`,
    'events { worker_connections 256; }',
    `http { access_log off; client_body_temp_path ${n}/body; proxy_temp_path ${n}/proxy; fastcgi_temp_path ${n}/proxy; uwsgi_temp_path ${n}/proxy; scgi_temp_path ${n}/proxy; include ${n}/collectors.conf; }`,
  ].join('\n'))
  nginx = spawn(toolPath('nginx'), ['-p', n, '-c', join(n, 'nginx.conf')], { stdio: 'ignore' })
  lbUrl = `http://127.0.0.1:${port}`
  // Ready once it answers.
  for (let tries = 0; (await fetch(`${lbUrl}/v1/traces`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' }).catch(() => undefined))?.status !== 200; tries++) {
    if (tries > 100) throw new Error(`nginx did not answer: ${readFileSync(join(n, 'logs/error.log'), 'utf8')}`)
    await new Promise((r) => setTimeout(r, 100))
  }
}, 120_000)

afterAll(async () => {
  nginx?.kill('SIGTERM')
  await Promise.all(collectors.map((c) => c.stop()))
  await shim?.close()
  dir.remove()
})

/** A request of `n` spans of service `svc`, OTLP/JSON. */
function spans(svc: string, request: number, n: number): string {
  const now = BigInt(Date.now()) * 1_000_000n
  const list = Array.from({ length: n }, (_, i) => ({
    traceId: (request * 1000 + i + 1).toString(16).padStart(32, '0'),
    spanId: (request * 1000 + i + 1).toString(16).padStart(16, '0'),
    name: 'GET /lb',
    kind: 2,
    startTimeUnixNano: String(now),
    endTimeUnixNano: String(now + 1_000_000n),
  }))
  return JSON.stringify({ resourceSpans: [{ resource: { attributes: [{ key: 'service.name', value: { stringValue: svc } }] }, scopeSpans: [{ spans: list }] }] })
}

async function acceptedBy(c: CairnServer): Promise<number> {
  const text = await (await fetch(`${c.apiUrl}/metrics`)).text()
  return [...text.matchAll(/^cairn_collector_items_accepted_total\{[^}]*signal="traces"[^}]*\} (\d+)/gm)].reduce((n, m) => n + Number(m[1]), 0)
}

it('spreads senders over both collectors through one endpoint, and every span is stored once', async () => {
  const before = await Promise.all(collectors.map(acceptedBy))
  const requests = 40
  const answers = await Promise.all(
    Array.from({ length: requests }, (_, r) => fetch(`${lbUrl}/v1/traces`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: spans('lb-test', r, 25) }).then((res) => res.status)),
  )
  expect(answers).toEqual(Array(requests).fill(200))
  const taken = (await Promise.all(collectors.map(acceptedBy))).map((n, i) => n - before[i]!)
  expect(taken[0]! + taken[1]!).toBe(requests * 25)
  for (const n of taken) expect(n).toBeGreaterThan(0)
  const stored = async () => JSON.parse(await shim.query("SELECT count() AS rows, uniqExact(TraceId) AS traces FROM otel_traces WHERE ServiceName = 'lb-test'")) as { rows: string; traces: string }
  await expect.poll(async () => Number((await stored()).rows), { timeout: 20_000 }).toBe(requests * 25)
  expect(Number((await stored()).traces)).toBe(requests * 25)
}, 60_000)
