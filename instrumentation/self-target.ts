// Where cairn's traces of its own work go. Pure: the environment, the setting
// and this process's collector in, one decision (with the reason, for the log)
// out. See docs/self-monitoring.md.

type Env = Record<string, string | undefined>

/** Marks cairn's own trace exports; a cairn collector records no span for a request that carries it. */
export const SELF_TELEMETRY_HEADER = 'x-cairn-self-telemetry'

export type SelfTraceTarget =
  | { kind: 'off'; reason: string }
  /** The OTEL_EXPORTER_OTLP_* variables say where (and with which headers). */
  | { kind: 'environment'; url: string; headers: Record<string, string> }
  /** This process's own collector. */
  | { kind: 'own-collector'; url: string; headers: Record<string, string> }

export interface SelfTargetInput {
  /** CAIRN_SELF_TRACES (config key selfTraces). */
  setting: 'on' | 'off'
  env: Env
  /** Address and bound port of this process's collector, when it runs one. */
  collector?: { host: string; port: number }
  /** A configured token that may ingest, when tokens are configured (the collector then needs one). */
  ingestToken?: string
  tokensConfigured: boolean
}

const MARKER = { [SELF_TELEMETRY_HEADER]: '1' }

export function selfTraceTarget(input: SelfTargetInput): SelfTraceTarget {
  const { env } = input
  if (input.setting === 'off') return { kind: 'off', reason: 'CAIRN_SELF_TRACES=off' }
  if (env.OTEL_SDK_DISABLED?.trim().toLowerCase() === 'true') return { kind: 'off', reason: 'OTEL_SDK_DISABLED=true' }
  if (env.OTEL_TRACES_EXPORTER?.trim().toLowerCase() === 'none') return { kind: 'off', reason: 'OTEL_TRACES_EXPORTER=none' }
  const traces = env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT?.trim()
  const base = env.OTEL_EXPORTER_OTLP_ENDPOINT?.trim()
  // As the OTLP exporter reads them: the signal-specific URL is used as is, the base gets /v1/traces.
  if (traces) return { kind: 'environment', url: traces, headers: MARKER }
  if (base) return { kind: 'environment', url: `${base.replace(/\/+$/, '')}/v1/traces`, headers: MARKER }
  if (!input.collector) {
    return { kind: 'off', reason: 'this process runs no collector and OTEL_EXPORTER_OTLP_ENDPOINT is not set (set it to the collector URL to trace this process)' }
  }
  if (input.tokensConfigured && input.ingestToken === undefined) {
    return { kind: 'off', reason: 'no token in CAIRN_API_TOKENS has the ingest (or admin) role, so the collector would refuse the spans' }
  }
  const url = `http://${connectHost(input.collector.host)}:${input.collector.port}/v1/traces`
  const headers: Record<string, string> = { ...MARKER }
  if (input.ingestToken !== undefined) headers.authorization = `Bearer ${input.ingestToken}`
  return { kind: 'own-collector', url, headers }
}

const ENDPOINT_VARS = ['OTEL_EXPORTER_OTLP_TRACES_ENDPOINT', 'OTEL_EXPORTER_OTLP_ENDPOINT'] as const

/** A set endpoint variable that is not an http(s) URL (the exporter would quietly fall back to localhost:4318). */
export function traceEnvProblem(env: Env): string | undefined {
  for (const name of ENDPOINT_VARS) {
    const value = env[name]?.trim()
    if (!value) continue
    let protocol: string | undefined
    try {
      protocol = new URL(value).protocol
    } catch {
      protocol = undefined
    }
    if (protocol !== 'http:' && protocol !== 'https:') return `${name}: expected an http:// or https:// URL (got ${JSON.stringify(value)})`
  }
  return undefined
}

/** The address to reach a server listening on `host`: loopback for the wildcard addresses, brackets for IPv6. */
export function connectHost(host: string): string {
  const bare = host.replace(/^\[(.*)\]$/, '$1')
  if (bare === '' || bare === '0.0.0.0') return '127.0.0.1'
  if (bare === '::') return '[::1]'
  return bare.includes(':') ? `[${bare}]` : bare
}

/** The least-privileged configured token that may send to the collector: ingest before admin. */
export function ingestTokenOf(tokens: readonly { token: string; roles: readonly string[] }[]): string | undefined {
  return (tokens.find((t) => t.roles.includes('ingest')) ?? tokens.find((t) => t.roles.includes('admin')))?.token
}
