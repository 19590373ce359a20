import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { ConfigError, loadConfig } from '../../config/index.ts'
import { tempDir } from '../support/temp.ts'

const dir = tempDir()
afterAll(() => dir.remove())

function problems(env: Record<string, string>): string[] {
  try {
    loadConfig(env)
  } catch (err) {
    if (err instanceof ConfigError) return err.problems
    throw err
  }
  throw new Error('expected a ConfigError')
}

function file(name: string, text: string): string {
  const path = join(dir.path, name)
  writeFileSync(path, text)
  return path
}

describe('config', () => {
  it('has documented defaults', () => {
    const c = loadConfig({})
    expect(c.storage.dataDir).toBe('./data')
    expect(c.storage.clickhouse.url).toBeUndefined()
    expect(c.collector.port).toBe(4318)
    expect(c.api.port).toBe(8080)
    expect(c.engine.sloDir).toBe('./slos')
    expect(c.engine.schedule).toBe('* * * * *')
    expect(c.storage.ttlDays).toEqual({ traces: 30, logs: 30, metrics: 90 })
    expect(c.logLevel).toBe('info')
  })

  it('reads environment variables, coercing numbers', () => {
    const c = loadConfig({ CAIRN_OTLP_PORT: '14318', CAIRN_TTL_LOGS_DAYS: '7', CAIRN_CLICKHOUSE_URL: 'http://ch:8123', CAIRN_EVAL_SCHEDULE: '*/30 * * * * *' })
    expect(c.collector.port).toBe(14318)
    expect(c.storage.ttlDays.logs).toBe(7)
    expect(c.storage.clickhouse.url).toBe('http://ch:8123')
    expect(c.engine.schedule).toBe('*/30 * * * * *')
  })

  it('names the environment variable and the expectation for a bad value', () => {
    expect(problems({ CAIRN_OTLP_PORT: 'abc' })).toEqual(['CAIRN_OTLP_PORT: collector.port: expected a port number (got "abc")'])
    expect(problems({ CAIRN_HTTP_PORT: '70000' })[0]).toMatch(/^CAIRN_HTTP_PORT: api\.port: expected a port between 0 .* and 65535 \(got "70000"\)$/)
    expect(problems({ CAIRN_LOG_LEVEL: 'loud' })[0]).toMatch(/^CAIRN_LOG_LEVEL: logLevel: expected one of fatal, error/)
    expect(problems({ CAIRN_CLICKHOUSE_URL: 'ch:8123' })[0]).toMatch(/^CAIRN_CLICKHOUSE_URL: storage\.clickhouse\.url: expected an http/)
    expect(problems({ CAIRN_EVAL_SCHEDULE: 'every minute' })[0]).toMatch(/^CAIRN_EVAL_SCHEDULE: engine\.schedule: expected a cron expression/)
  })

  it('reads the rollup lateness bound and ingest margin, refusing what is no duration', () => {
    expect(loadConfig({}).engine).toMatchObject({ lateness: '1h', ingestMargin: '0s' })
    expect(loadConfig({ CAIRN_EVAL_LATENESS: '6h', CAIRN_EVAL_INGEST_MARGIN: '5s' }).engine).toMatchObject({ lateness: '6h', ingestMargin: '5s' })
    expect(problems({ CAIRN_EVAL_LATENESS: '0m' })[0]).toMatch(/^CAIRN_EVAL_LATENESS: engine\.lateness: expected a lateness bound longer than 0/)
    expect(problems({ CAIRN_EVAL_LATENESS: '90s' })[0]).toMatch(/^CAIRN_EVAL_LATENESS: engine\.lateness: expected a duration in whole minutes/)
    expect(problems({ CAIRN_EVAL_INGEST_MARGIN: 'soon' })[0]).toMatch(/^CAIRN_EVAL_INGEST_MARGIN: engine\.ingestMargin: expected a duration such as 0s/)
  })

  it('reports every bad key at once', () => {
    expect(problems({ CAIRN_OTLP_PORT: 'x', CAIRN_TTL_TRACES_DAYS: '-1' })).toHaveLength(2)
  })

  it('reads a YAML file and lets the environment win', () => {
    const path = file('ok.yaml', 'collector:\n  port: 5000\napi:\n  port: 5001\nstorage:\n  ttlDays: { traces: 3 }\n')
    const c = loadConfig({ CAIRN_CONFIG: path, CAIRN_HTTP_PORT: '6001' })
    expect(c.collector.port).toBe(5000)
    expect(c.api.port).toBe(6001)
    expect(c.storage.ttlDays).toEqual({ traces: 3, logs: 30, metrics: 90 })
  })

  it('names file, line and column of a bad value in the file', () => {
    const path = file('bad.yaml', 'collector:\n  port: 5000\nstorage:\n  ttlDays:\n    logs: soon\n')
    expect(problems({ CAIRN_CONFIG: path })).toEqual([`${path}:5:11: storage.ttlDays.logs: expected a number of days (got "soon")`])
  })

  it('rejects unknown keys in the file, naming them', () => {
    const path = file('unknown.yaml', 'storage:\n  dataDri: /tmp/x\n')
    expect(problems({ CAIRN_CONFIG: path })[0]).toBe(`${path}:2:3: unknown key storage.dataDri`)
  })

  it('reports YAML syntax errors and missing files with their location', () => {
    const path = file('syntax.yaml', 'collector:\n  port: [5000\n')
    expect(problems({ CAIRN_CONFIG: path })[0]).toMatch(new RegExp(`^${path}:\\d+:\\d+: `))
    expect(problems({ CAIRN_CONFIG: join(dir.path, 'missing.yaml') })[0]).toMatch(/^CAIRN_CONFIG: cannot read .*missing\.yaml: ENOENT$/)
  })
})
