import { createServer, type IncomingMessage, type Server } from 'node:http'
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { parse } from 'yaml'
import { runCairn } from '../support/cairn-process.ts'
import { tempDir } from '../support/temp.ts'

// `cairn dashboards`: files plus a provisioning YAML, and the push through
// Grafana's HTTP API, checked by a local server that answers as Grafana does
// and rejects requests Grafana would reject.

const dir = tempDir()
const slosDir = join(dir.path, 'slos')
const TOKEN = 'glsa_test_token_0123456789'

const SPEC = `apiVersion: cairn/v1
kind: SLO
metadata: { name: availability, service: checkout }
spec:
  objective: 99.9
  window: 30d
  sli:
    spans: { service: checkout, bad: error }
---
apiVersion: cairn/v1
kind: SLO
metadata: { name: latency, service: checkout }
spec:
  objective: 99
  window: 7d
  sli:
    spans: { service: checkout, bad: { latency: { threshold: 300ms } } }
`

interface Saved {
  dashboard: Record<string, unknown>
  folderUid: string
  version: number
}

/** The part of Grafana's HTTP API that `cairn dashboards` uses, with Grafana's validation of it. */
class FakeGrafana {
  folders = new Map<string, string>()
  dashboards = new Map<string, Saved>()
  requests: string[] = []
  server: Server = createServer((req, res) => this.handle(req).then(([status, body]) => res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body))))

  async handle(req: IncomingMessage): Promise<[number, unknown]> {
    let raw = ''
    for await (const chunk of req) raw += chunk
    this.requests.push(`${req.method} ${req.url}`)
    if (req.headers.authorization !== `Bearer ${TOKEN}`) return [401, { message: 'Invalid API key' }]
    const folder = /^\/api\/folders\/([^/]+)$/.exec(req.url ?? '')
    if (req.method === 'GET' && folder) {
      const title = this.folders.get(decodeURIComponent(folder[1]!))
      return title ? [200, { uid: folder[1], title }] : [404, { message: 'folder not found' }]
    }
    if (req.headers['content-type'] !== 'application/json') return [415, { message: 'expected JSON' }]
    const body = JSON.parse(raw) as Record<string, any>
    if (req.method === 'POST' && req.url === '/api/folders') {
      if (typeof body.title !== 'string' || !body.title) return [400, { message: 'folder title cannot be empty' }]
      if (this.folders.has(body.uid)) return [409, { message: 'a folder with the same uid already exists' }]
      this.folders.set(body.uid, body.title)
      return [200, { uid: body.uid, title: body.title }]
    }
    if (req.method === 'POST' && req.url === '/api/dashboards/db') {
      const d = body.dashboard
      if (!d || typeof d.title !== 'string' || !/^[A-Za-z0-9_-]{1,40}$/.test(d.uid)) return [400, { message: 'invalid dashboard' }]
      if (d.id !== null && d.id !== undefined) return [404, { message: 'Dashboard not found' }]
      if (!this.folders.has(body.folderUid)) return [400, { message: 'folder not found' }]
      const existing = this.dashboards.get(d.uid)
      if (existing && body.overwrite !== true) return [412, { message: 'The dashboard has been changed by someone else', status: 'version-mismatch' }]
      const version = (existing?.version ?? 0) + 1
      this.dashboards.set(d.uid, { dashboard: d, folderUid: body.folderUid, version })
      return [200, { id: this.dashboards.size, uid: d.uid, url: `/d/${d.uid}/x`, status: 'success', version, slug: 'x' }]
    }
    return [404, { message: 'not found' }]
  }
}

let grafana: FakeGrafana
let grafanaUrl: string

beforeAll(async () => {
  mkdirSync(slosDir)
  writeFileSync(join(slosDir, 'checkout.yaml'), SPEC)
  grafana = new FakeGrafana()
  await new Promise<void>((r) => grafana.server.listen(0, '127.0.0.1', r))
  grafanaUrl = `http://127.0.0.1:${(grafana.server.address() as AddressInfo).port}`
})
afterAll(async () => {
  await new Promise((r) => grafana.server.close(r))
  dir.remove()
})
beforeEach(() => {
  grafana.requests = []
})

describe('cairn dashboards --out', () => {
  it('writes every dashboard in both flavours and a provisioning file, and removes dashboards of SLOs that are gone', async () => {
    const out = join(dir.path, 'out')
    mkdirSync(join(out, 'prometheus', 'slo'), { recursive: true })
    writeFileSync(join(out, 'prometheus', 'slo', 'checkout-removed.json'), '{}')
    const run = await runCairn(['dashboards', slosDir, '--out', out, '--provisioning-path', '/var/lib/grafana/dashboards/cairn'])
    expect(run.stderr).toBe('')
    expect(run.code).toBe(0)
    expect(run.stdout).toBe(`wrote 8 dashboards for 2 SLOs and cairn-dashboards.yaml to ${out}\n`)
    for (const flavour of ['prometheus', 'clickhouse']) {
      expect(readdirSync(join(out, flavour, 'slo')).sort()).toEqual(['checkout-availability.json', 'checkout-latency.json'])
      expect(readdirSync(join(out, flavour, 'service'))).toEqual(['checkout.json'])
      expect(existsSync(join(out, flavour, 'overview.json'))).toBe(true)
    }
    const slo = JSON.parse(readFileSync(join(out, 'clickhouse', 'slo', 'checkout-availability.json'), 'utf8'))
    expect(slo.uid).toBe('cairn-slo-checkout-availability-ch')
    const provisioning = parse(readFileSync(join(out, 'cairn-dashboards.yaml'), 'utf8'))
    expect(provisioning).toEqual({
      apiVersion: 1,
      providers: [{ name: 'cairn', orgId: 1, folder: 'SLOs', folderUid: 'cairn-slos', type: 'file', disableDeletion: false, allowUiUpdates: false, updateIntervalSeconds: 30, options: { path: '/var/lib/grafana/dashboards/cairn', foldersFromFilesStructure: false } }],
    })
  })

  it('writes only the flavour asked for, with the data source uid asked for', async () => {
    const out = join(dir.path, 'prom-only')
    const run = await runCairn(['dashboards', join(slosDir, 'checkout.yaml'), '--out', out, '--datasource', 'prometheus', '--prometheus-uid', 'my-prom'])
    expect(run.code).toBe(0)
    expect(existsSync(join(out, 'clickhouse'))).toBe(false)
    const slo = JSON.parse(readFileSync(join(out, 'prometheus', 'slo', 'checkout-latency.json'), 'utf8'))
    expect(slo.panels.find((p: any) => p.type === 'timeseries').datasource).toEqual({ type: 'prometheus', uid: 'my-prom' })
  })

  it('prints spec errors as file:line:col and writes nothing', async () => {
    const bad = join(dir.path, 'bad.yaml')
    writeFileSync(bad, 'apiVersion: cairn/v1\nkind: SLO\nmetadata: { name: x, service: y }\nspec:\n  objective: 999\n  window: 30d\n  sli: { spans: { bad: error } }\n')
    const out = join(dir.path, 'never')
    const run = await runCairn(['dashboards', bad, '--out', out])
    expect(run.code).toBe(1)
    expect(run.stderr).toMatch(new RegExp(`^${bad.replace(/[/.]/g, '\\$&')}:5:\\d+: .*objective`, 'm'))
    expect(existsSync(out)).toBe(false)
  })

  it.each([
    [[], 'no SLO files given'],
    [['slos/'], 'say where the dashboards go'],
    [['slos/', '--out'], '--out needs a value'],
    [['slos/', '--out', 'x', '--datasource', 'loki'], '--datasource: expected prometheus, clickhouse or both (got "loki")'],
    [['slos/', '--grafana-url', 'http://g:3000'], '--grafana-url needs a token'],
    [['slos/', '--grafana-url', 'grafana:3000', '--grafana-token', 't'], '--grafana-url: expected an http:// or https:// URL'],
    [['slos/', '--out', 'x', '--folder-uid', 'a/b'], '--folder-uid: expected at most 40 letters'],
    [['slos/', '--frobnicate'], 'unknown option --frobnicate'],
  ])('rejects %j with a usage message', async (args, message) => {
    const run = await runCairn(['dashboards', ...args])
    expect(run.code).toBe(2)
    expect(run.stderr).toContain(message)
  })
})

describe('cairn dashboards --grafana-url', () => {
  it('creates the folder, saves every dashboard with overwrite, and a second push updates the same ones', async () => {
    const first = await runCairn(['dashboards', slosDir, '--grafana-url', `${grafanaUrl}/`, '--grafana-token', TOKEN])
    expect(first.stderr).toBe('')
    expect(first.stdout).toBe(`pushed 8 dashboards to ${grafanaUrl}/ (folder SLOs, created)\n`)
    expect(grafana.requests.slice(0, 2)).toEqual(['GET /api/folders/cairn-slos', 'POST /api/folders'])
    expect(grafana.requests.slice(2)).toEqual(Array(8).fill('POST /api/dashboards/db'))
    expect(grafana.folders).toEqual(new Map([['cairn-slos', 'SLOs']]))
    expect([...grafana.dashboards.keys()].sort()).toEqual([
      'cairn-overview-ch', 'cairn-overview-prom', 'cairn-service-checkout-ch', 'cairn-service-checkout-prom',
      'cairn-slo-checkout-availability-ch', 'cairn-slo-checkout-availability-prom', 'cairn-slo-checkout-latency-ch', 'cairn-slo-checkout-latency-prom',
    ])
    grafana.requests = []
    const second = await runCairn(['dashboards', slosDir, '--grafana-url', grafanaUrl], { CAIRN_GRAFANA_TOKEN: TOKEN })
    expect(second.stdout).toBe(`pushed 8 dashboards to ${grafanaUrl} (folder SLOs, existing)\n`)
    expect(grafana.requests[0]).toBe('GET /api/folders/cairn-slos')
    expect(grafana.requests.filter((r) => r === 'POST /api/folders')).toEqual([])
    expect(grafana.dashboards.size).toBe(8)
    expect([...grafana.dashboards.values()].every((d) => d.version === 2 && d.folderUid === 'cairn-slos')).toBe(true)
  })

  it('says what Grafana refused, without a stack trace', async () => {
    const run = await runCairn(['dashboards', slosDir, '--grafana-url', grafanaUrl, '--grafana-token', 'wrong-token'])
    expect(run.code).toBe(1)
    expect(run.stderr).toBe('cairn: looking up folder cairn-slos: Grafana answered 401 "Invalid API key" (is the token right?)\n')
  })

  it('says when Grafana cannot be reached', async () => {
    const run = await runCairn(['dashboards', slosDir, '--grafana-url', 'http://127.0.0.1:1', '--grafana-token', TOKEN])
    expect(run.code).toBe(1)
    expect(run.stderr).toMatch(/^cairn: cannot reach Grafana at http:\/\/127\.0\.0\.1:1: /)
  })
})
