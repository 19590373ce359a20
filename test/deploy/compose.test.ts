import { execFileSync, spawnSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { requireTool } from '../support/needs.ts'

const root = fileURLToPath(new URL('../../', import.meta.url))
const run = (cmd: string, args: string[]) => spawnSync(cmd, args, { cwd: root, encoding: 'utf8' })

describe('deploy/', () => {
  requireTool('docker-compose').it('docker-compose.yml passes `docker-compose config`', () => {
    const check = run('docker-compose', ['-f', 'docker-compose.yml', 'config', '-q'])
    expect(check.stderr).toBe('')
    expect(check.status).toBe(0)
    const services = execFileSync('docker-compose', ['-f', 'docker-compose.yml', 'config', '--services'], { cwd: root, encoding: 'utf8' })
    expect(services.trim().split('\n').sort()).toEqual(['alertmanager', 'cairn-api', 'cairn-collector', 'cairn-engine', 'clickhouse', 'grafana', 'prometheus'])
  })

  requireTool('docker-compose').it('runs each cairn role against the ClickHouse server', () => {
    const config = execFileSync('docker-compose', ['-f', 'docker-compose.yml', 'config'], { cwd: root, encoding: 'utf8' })
    for (const role of ['collector', 'engine', 'api']) expect(config).toMatch(new RegExp(`cairn-${role}:[\\s\\S]*?command:\\s*\\n\\s*- ${role}`))
    expect(config.match(/CAIRN_CLICKHOUSE_URL: http:\/\/clickhouse:8123/g)).toHaveLength(3)
  })

  requireTool('promtool').it('ships a Prometheus config that promtool accepts', () => {
    const check = run('promtool', ['check', 'config', '--syntax-only', 'deploy/prometheus/prometheus.yml'])
    expect(check.status, check.stderr + check.stdout).toBe(0)
  })

  requireTool('amtool').it('ships an Alertmanager config that amtool accepts', () => {
    const check = run('amtool', ['check-config', 'deploy/alertmanager/alertmanager.yml'])
    expect(check.status, check.stderr + check.stdout).toBe(0)
    expect(check.stdout).toContain('2 receivers')
  })
})
