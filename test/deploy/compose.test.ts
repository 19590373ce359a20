import { copyFileSync, cpSync, readFileSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { spawnSync } from 'node:child_process'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { parse } from 'yaml'
import { loadConfig } from '../../config/index.ts'
import { tempDir } from '../support/temp.ts'
import { requireTool } from '../support/needs.ts'

// The deployment as an operator sets it up: a copy of docker-compose.yml and
// deploy/ with the secrets made from their .example files, checked by
// docker-compose, promtool and amtool.

const root = fileURLToPath(new URL('../../', import.meta.url))
const project = tempDir('cairn-compose-')
const run = (cmd: string, args: string[], cwd = project.path) => spawnSync(cmd, args, { cwd, encoding: 'utf8' })
const compose = (...args: string[]) => run('docker-compose', ['-f', 'docker-compose.yml', ...args])

beforeAll(() => {
  copyFileSync(join(root, 'docker-compose.yml'), join(project.path, 'docker-compose.yml'))
  cpSync(join(root, 'deploy'), join(project.path, 'deploy'), { recursive: true })
  // What docker-compose.yml's header tells the operator to do.
  copyFileSync(join(project.path, 'deploy/cairn.env.example'), join(project.path, 'deploy/cairn.env'))
  copyFileSync(join(project.path, 'deploy/prometheus/secrets/cairn-scrape-token.example'), join(project.path, 'deploy/prometheus/secrets/cairn-scrape-token'))
})
afterAll(() => project.remove())

describe('deploy/', () => {
  requireTool('docker-compose').it('docker-compose.yml passes `docker-compose config`, without the obsolete version key', () => {
    const check = compose('config', '-q')
    expect(check.stderr).toBe('')
    expect(check.status).toBe(0)
    expect(compose('config', '--services').stdout.trim().split('\n').sort()).toEqual([
      'alertmanager', 'cairn-api', 'cairn-collector-a', 'cairn-collector-b', 'cairn-engine-a', 'cairn-engine-b', 'clickhouse', 'collector-lb', 'grafana', 'prometheus',
    ])
    expect(Object.keys(parse(readFileSync(join(root, 'docker-compose.yml'), 'utf8')) as object)).not.toContain('version')
  })

  requireTool('docker-compose').it('runs each cairn role against the ClickHouse server, with tokens from deploy/cairn.env', () => {
    const config = parse(compose('config').stdout) as { services: Record<string, { command: string[]; environment: Record<string, string> }> }
    const tokens = readFileSync(join(project.path, 'deploy/cairn.env'), 'utf8').match(/^CAIRN_API_TOKENS=(.*)$/m)![1]
    for (const [name, role] of [['cairn-collector-a', 'collector'], ['cairn-collector-b', 'collector'], ['cairn-engine-a', 'engine'], ['cairn-engine-b', 'engine'], ['cairn-api', 'api']]) {
      const service = config.services[name!]!
      expect(service.command).toEqual([role])
      expect(service.environment).toMatchObject({ CAIRN_CLICKHOUSE_URL: 'http://clickhouse:8123', CAIRN_API_TOKENS: tokens })
      expect(service.environment.CAIRN_HOST).toBeUndefined()
    }
  })

  requireTool('docker-compose').it('scales out: two collectors with a queue volume each behind the load balancer, two engine replicas with their own ids, every one scraped', () => {
    type Service = { command?: string[]; environment?: Record<string, string>; volumes?: (string | { source: string; target: string })[]; ports?: unknown[] }
    const config = parse(compose('config').stdout) as { services: Record<string, Service> }
    const volumeOf = (s: Service) => s.volumes!.map((v) => (typeof v === 'string' ? v.split(':')[0] : v.source)).find((v) => v!.endsWith('-queue'))
    const collectors = Object.keys(config.services).filter((n) => config.services[n]!.command?.[0] === 'collector').sort()
    expect(collectors).toEqual(['cairn-collector-a', 'cairn-collector-b'])
    expect(new Set(collectors.map((c) => volumeOf(config.services[c]!))).size).toBe(2)
    // Senders reach the collectors through the load balancer only.
    for (const c of collectors) expect(config.services[c]!.ports).toBeUndefined()
    const upstreams = [...readFileSync(join(root, 'deploy/nginx/collectors.conf'), 'utf8').matchAll(/^\s*server (\S+):4318\b/gm)].map((m) => m[1]).sort()
    expect(upstreams).toEqual(collectors)
    const engines = Object.keys(config.services).filter((n) => config.services[n]!.command?.[0] === 'engine').sort()
    expect(engines.map((e) => config.services[e]!.environment!.CAIRN_ENGINE_REPLICA_ID)).toEqual(['engine-a', 'engine-b'])
    const targets = (parse(readFileSync(join(root, 'deploy/prometheus/prometheus.yml'), 'utf8')) as { scrape_configs: { job_name: string; static_configs: { targets: string[] }[] }[] }).scrape_configs.find((j) => j.job_name === 'cairn')!.static_configs[0]!.targets
    expect(targets.sort()).toEqual(['cairn-api', ...collectors, ...engines].map((n) => `${n}:8080`).sort())
  })

  requireTool('docker-compose').it('refuses to start without deploy/cairn.env, so cairn never runs open by accident', () => {
    rmSync(join(project.path, 'deploy/cairn.env'))
    try {
      const check = compose('config', '-q')
      expect(check.status).not.toBe(0)
      expect(check.stderr).toContain('deploy/cairn.env')
    } finally {
      copyFileSync(join(project.path, 'deploy/cairn.env.example'), join(project.path, 'deploy/cairn.env'))
    }
  })

  it('ships example tokens cairn accepts in form but refuses to run with until replaced', () => {
    const tokens = readFileSync(join(root, 'deploy/cairn.env.example'), 'utf8').match(/^CAIRN_API_TOKENS=(.*)$/m)![1]!
    expect(() => loadConfig({ CAIRN_API_TOKENS: tokens })).toThrow(/CAIRN_API_TOKENS: api\.tokens\.0\.token: replace the example token/)
    expect(loadConfig({ CAIRN_API_TOKENS: tokens.replaceAll('REPLACE-', 'x') }).api.tokens.map((t) => t.roles)).toEqual([['admin'], ['read'], ['read'], ['ingest']])
  })

  requireTool('promtool').it('scrapes cairn with the read token the env file holds, in a Prometheus config promtool accepts', () => {
    const check = run('promtool', ['check', 'config', '--syntax-only', 'deploy/prometheus/prometheus.yml'])
    expect(check.status, check.stderr + check.stdout).toBe(0)
    const prometheus = parse(readFileSync(join(root, 'deploy/prometheus/prometheus.yml'), 'utf8')) as { scrape_configs: { job_name: string; authorization?: { type: string; credentials_file: string } }[] }
    const cairn = prometheus.scrape_configs.find((s) => s.job_name === 'cairn')!
    expect(cairn.authorization).toEqual({ type: 'Bearer', credentials_file: '/etc/prometheus/secrets/cairn-scrape-token' })
    // Mounted from ./deploy/prometheus; the token is one of the env file's read tokens.
    const scrapeToken = readFileSync(join(root, 'deploy/prometheus/secrets/cairn-scrape-token.example'), 'utf8').trim()
    expect(readFileSync(join(root, 'deploy/cairn.env.example'), 'utf8')).toContain(`read:${scrapeToken}`)
  })

  requireTool('amtool').it('ships an Alertmanager config that amtool accepts', () => {
    const check = run('amtool', ['check-config', 'deploy/alertmanager/alertmanager.yml'])
    expect(check.status, check.stderr + check.stdout).toBe(0)
    expect(check.stdout).toContain('2 receivers')
  })
})
