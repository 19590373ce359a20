import { describe, expect, it } from 'vitest'
import { connectHost, ingestTokenOf, selfTraceTarget, SELF_TELEMETRY_HEADER, traceEnvProblem } from '../../instrumentation/index.ts'

const collector = { host: '0.0.0.0', port: 4318 }
const base = { setting: 'on' as const, env: {}, tokensConfigured: false }

describe('where cairn sends its own traces', () => {
  it('goes to its own collector by default, marked so the collector records no span for the export', () => {
    expect(selfTraceTarget({ ...base, collector })).toEqual({ kind: 'own-collector', url: 'http://127.0.0.1:4318/v1/traces', headers: { [SELF_TELEMETRY_HEADER]: '1' } })
  })

  it('follows OTEL_EXPORTER_OTLP_ENDPOINT (or the traces-only variable) when set, still marked', () => {
    expect(selfTraceTarget({ ...base, collector, env: { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://otel:4318/' } })).toEqual({
      kind: 'environment',
      url: 'http://otel:4318/v1/traces',
      headers: { [SELF_TELEMETRY_HEADER]: '1' },
    })
    const both = { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://otel:4318', OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://tempo:4318/otlp/v1/traces' }
    expect(selfTraceTarget({ ...base, env: both })).toMatchObject({ kind: 'environment', url: 'http://tempo:4318/otlp/v1/traces' })
  })

  it('is off when the setting, OTEL_SDK_DISABLED or OTEL_TRACES_EXPORTER=none says so, whatever the endpoint', () => {
    const env = { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://otel:4318' }
    expect(selfTraceTarget({ ...base, setting: 'off', env, collector })).toEqual({ kind: 'off', reason: 'CAIRN_SELF_TRACES=off' })
    expect(selfTraceTarget({ ...base, env: { ...env, OTEL_SDK_DISABLED: 'TRUE' }, collector })).toEqual({ kind: 'off', reason: 'OTEL_SDK_DISABLED=true' })
    expect(selfTraceTarget({ ...base, env: { OTEL_TRACES_EXPORTER: 'none' }, collector })).toMatchObject({ kind: 'off' })
  })

  it('is off in a process without a collector and without an endpoint (cairn engine, cairn api), saying how to turn it on', () => {
    const target = selfTraceTarget(base)
    expect(target.kind).toBe('off')
    expect(target.kind === 'off' && target.reason).toContain('OTEL_EXPORTER_OTLP_ENDPOINT')
  })

  it('authenticates with the least-privileged ingest token when tokens are configured, and is off when none may ingest', () => {
    const tokens = [
      { token: 'admin-token-0123456789', roles: ['admin'] },
      { token: 'read-token-0123456789a', roles: ['read'] },
      { token: 'ingest-token-012345678', roles: ['read', 'ingest'] },
    ]
    const ingestToken = ingestTokenOf(tokens)
    expect(ingestToken).toBe('ingest-token-012345678')
    expect(selfTraceTarget({ ...base, collector, tokensConfigured: true, ingestToken })).toMatchObject({
      kind: 'own-collector',
      headers: { authorization: 'Bearer ingest-token-012345678', [SELF_TELEMETRY_HEADER]: '1' },
    })
    expect(ingestTokenOf(tokens.slice(0, 2))).toBe('admin-token-0123456789')
    const none = selfTraceTarget({ ...base, collector, tokensConfigured: true, ingestToken: ingestTokenOf(tokens.slice(1, 2)) })
    expect(none.kind === 'off' && none.reason).toContain('ingest')
  })

  it('reaches a wildcard listener on loopback and brackets IPv6 addresses', () => {
    expect(connectHost('0.0.0.0')).toBe('127.0.0.1')
    expect(connectHost('::')).toBe('[::1]')
    expect(connectHost('[::]')).toBe('[::1]')
    expect(connectHost('fd00::5')).toBe('[fd00::5]')
    expect(connectHost('10.0.0.7')).toBe('10.0.0.7')
    expect(connectHost('cairn.internal')).toBe('cairn.internal')
  })

  it('names an endpoint variable that is not an http(s) URL, instead of falling back to localhost', () => {
    expect(traceEnvProblem({ OTEL_EXPORTER_OTLP_ENDPOINT: 'not a url' })).toBe('OTEL_EXPORTER_OTLP_ENDPOINT: expected an http:// or https:// URL (got "not a url")')
    expect(traceEnvProblem({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'grpc://otel:4317' })).toContain('OTEL_EXPORTER_OTLP_TRACES_ENDPOINT')
    expect(traceEnvProblem({ OTEL_EXPORTER_OTLP_ENDPOINT: 'https://otel.example.com:4318', OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: '' })).toBeUndefined()
    expect(traceEnvProblem({})).toBeUndefined()
  })
})
