import { z } from 'zod'
import { validate as isValidCron } from 'node-cron'

// The whole configuration of a cairn process. Every key can come from the YAML
// file named by CAIRN_CONFIG; the keys that operators change most also have an
// environment variable (see ENV_VARS in ./env.ts), which wins over the file.

const port = z.coerce
  .number({ error: 'expected a port number' })
  .int('expected an integer port number')
  .min(0, 'expected a port between 0 (any free port) and 65535')
  .max(65535, 'expected a port between 0 (any free port) and 65535')

const positiveInt = z.coerce.number({ error: 'expected a number' }).int('expected an integer').positive('expected a positive integer')
const days = z.coerce.number({ error: 'expected a number of days' }).int('expected a whole number of days').min(0, 'expected 0 (keep forever) or more days')

const httpUrl = z.url({ protocol: /^https?$/, error: 'expected an http:// or https:// URL' })

export const logLevels = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const

const clickhouseSchema = z
  .object({
    url: httpUrl.optional(),
    user: z.string().default('default'),
    password: z.string().default(''),
    database: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'expected a database name of letters, digits and _').default('default'),
    cluster: z.string().regex(/^[A-Za-z_][A-Za-z0-9_.-]*$/, 'expected a cluster name as in remote_servers').optional(),
    requestTimeoutMs: positiveInt.default(30_000),
  })
  .strict()

const ttlSchema = z
  .object({
    traces: days.default(30),
    logs: days.default(30),
    metrics: days.default(90),
  })
  .strict()

export const storageSchema = z
  .object({
    dataDir: z.string().min(1, 'expected a directory path').default('./data'),
    clickhouse: clickhouseSchema.default(() => clickhouseSchema.parse({})),
    ttlDays: ttlSchema.default(() => ttlSchema.parse({})),
  })
  .strict()

const byteCount = z.coerce.number({ error: 'expected a number of bytes' }).int('expected whole bytes').min(1, 'expected at least 1 byte')

// What one item may carry (collector/otlp/limits.ts): beyond it, it is cut and counted.
const itemLimitsSchema = z
  .object({
    maxAttributes: positiveInt.default(128),
    maxAttributeKeyBytes: byteCount.default(256),
    maxAttributeValueBytes: byteCount.default(16 * 1024),
    maxLogBodyBytes: byteCount.default(256 * 1024),
  })
  .strict()

// The collector's durable ingest queue (collector/queue/, docs/collector.md).
const collectorQueueSchema = z
  .object({
    /** disk: acknowledge once the rows are fsynced to the queue; off: once inserted into ClickHouse. */
    mode: z.enum(['disk', 'off'], { error: 'expected disk or off' }).default('disk'),
    /** This collector's own queue directory (default <storage.dataDir>/wal). */
    dir: z.string().min(1, 'expected a directory path').optional(),
    /** Disk bound: bytes queued and not yet inserted before senders get 429/503. */
    maxBytes: byteCount.default(4 * 1024 ** 3),
    /** /readyz reports the queue as backing up once its oldest rows have waited this long. */
    backlogSeconds: positiveInt.default(60),
  })
  .strict()

// Batching keys left unset take defaults tuned for the storage mode (collector/config.ts).
export const collectorSchema = z
  .object({
    port: port.default(4318),
    maxBodyBytes: positiveInt.default(64 * 1024 * 1024),
    batchMaxRows: positiveInt.optional(),
    batchMaxBytes: positiveInt.optional(),
    flushIntervalMs: positiveInt.optional(),
    queueMaxRows: positiveInt.optional(),
    queueMaxBytes: positiveInt.optional(),
    retryAfterSeconds: positiveInt.default(5),
    writeTimeoutMs: positiveInt.default(30_000),
    limits: itemLimitsSchema.default(() => itemLimitsSchema.parse({})),
    /** Items dated further ahead of the collector's clock are refused; 0 accepts any future time. */
    maxFutureSkewSeconds: z.coerce.number({ error: 'expected a number of seconds' }).int('expected whole seconds').min(0, 'expected 0 (no limit) or more seconds').default(3600),
    /** A request whose body has not fully arrived by then is answered 408 (slow senders hold memory and sockets). */
    bodyTimeoutMs: positiveInt.default(30_000),
    queue: collectorQueueSchema.default(() => collectorQueueSchema.parse({})),
  })
  .passthrough()

// Limits shared by every request of the process, collector and API (isolation/).
export const limitsSchema = z
  .object({
    /** Request-body bytes held at once, decompressed, across all requests: beyond, 429 + Retry-After. */
    inflightBodyBytes: positiveInt.default(128 * 1024 * 1024),
    retryAfterSeconds: positiveInt.default(1),
    /** Parse worker threads; 0: the cores, at most 2. */
    parseWorkers: z.coerce.number({ error: 'expected a number of workers' }).int().min(0, 'expected 0 (automatic) or more').default(0),
    /** Heap of each parse worker, MiB: a body that needs more is refused (413), the worker replaced. */
    parseWorkerHeapMb: positiveInt.default(384),
    /** Bodies of at least this many bytes (decompressed) are parsed in a worker thread. */
    offloadBytes: positiveInt.default(64 * 1024),
  })
  .strict()

export const apiRoles = ['ingest', 'read', 'admin'] as const

const apiTokenSchema = z
  .object({
    /** Who holds the token, for logs (the token itself is never logged). */
    name: z.string().min(1).optional(),
    token: z
      .string()
      .min(16, 'expected a token of at least 16 characters')
      // The placeholders of deploy/cairn.env.example must not become working credentials.
      .refine((t) => !t.startsWith('REPLACE-'), 'replace the example token with a random one (e.g. openssl rand -hex 24)'),
    roles: z.array(z.enum(apiRoles, { error: `expected roles among ${apiRoles.join(', ')}` })).min(1, 'expected at least one role'),
  })
  .strict()

/**
 * CAIRN_API_TOKENS is a comma-separated list of `role[+role…]:token` entries,
 * e.g. `admin:…,read+ingest:…`; the file takes a list of { name, token, roles }.
 */
function parseTokenList(value: unknown): unknown {
  if (typeof value !== 'string') return value
  return value
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry !== '')
    .map((entry) => {
      const colon = entry.indexOf(':')
      return colon < 0 ? { roles: [], token: entry } : { roles: entry.slice(0, colon).split('+').map((r) => r.trim()), token: entry.slice(colon + 1).trim() }
    })
}

/** A comma-separated list in an environment variable; a list in the file. */
function commaList(value: unknown): unknown {
  return typeof value === 'string' ? value.split(',').map((v) => v.trim()).filter((v) => v !== '') : value
}

export const authModes = ['tokens', 'none'] as const

// Log and trace reads run beside the engine's ticks on the same ClickHouse:
// each is bounded in time range, run time, threads, memory and answer size,
// and only so many run at once, so no read can starve a tick.
const readsSchema = z
  .object({
    maxRangeDays: positiveInt.default(7),
    maxExecutionSeconds: positiveInt.default(10),
    maxThreads: positiveInt.default(2),
    maxMemoryBytes: positiveInt.default(1024 * 1024 * 1024),
    maxResultBytes: positiveInt.default(64 * 1024 * 1024),
    maxConcurrent: positiveInt.default(4),
  })
  .strict()

export const apiSchema = z
  .object({
    port: port.default(8080),
    tokens: z.preprocess(parseTokenList, z.array(apiTokenSchema)).default([]),
    /**
     * Unset: bearer tokens when some are configured; with none, cairn listens
     * on loopback only. `none`: no authentication, on any address (warned).
     */
    auth: z.enum(authModes, { error: `expected ${authModes.join(' or ')}` }).optional(),
    reads: readsSchema.default(() => readsSchema.parse({})),
    /** How long the SLO status list is reused before it is read again (evaluations change once a tick). */
    statusCacheMs: z.coerce.number({ error: 'expected a number of milliseconds' }).int().min(0, 'expected 0 (no cache) or more').default(2000),
  })
  .passthrough()
  .superRefine((api, ctx) => {
    if (api.auth === 'none' && api.tokens.length > 0) {
      ctx.addIssue({ code: 'custom', path: ['auth'], message: 'none turns authentication off, but tokens are configured (CAIRN_API_TOKENS): unset one of them' })
    }
    if (api.auth === 'tokens' && api.tokens.length === 0) {
      ctx.addIssue({ code: 'custom', path: ['auth'], message: 'tokens needs at least one token in api.tokens (CAIRN_API_TOKENS)' })
    }
  })

/** How long a scheduled tick waits after its minute ends (CAIRN_EVAL_SETTLE); also what stale means by default. */
export const DEFAULT_EVAL_SETTLE = '15s'

/** Milliseconds of a lease TTL as engine.leaseTtl writes it (30s, 1m, 1500ms). */
export function leaseTtlMs(text: string): number {
  const m = /^(\d+)(ms|s|m)$/.exec(text)
  return m ? Number(m[1]) * { ms: 1, s: 1000, m: 60_000 }[m[2] as 'ms' | 's' | 'm'] : NaN
}

export const engineSchema = z
  .object({
    sloDir: z.string().min(1, 'expected a directory path').default('./slos'),
    schedule: z
      .string()
      .refine((s) => isValidCron(s), 'expected a cron expression of 5 fields (minute first) or 6 (seconds first)')
      .default('* * * * *'),
    lookback: z
      .string()
      .regex(/^(?:\d+[mhd])+$/, 'expected a duration in whole minutes such as 10m or 1h')
      .default('10m'),
    settle: z
      .string()
      .regex(/^(?:\d+[smh])+$/, 'expected a duration such as 30s, 1m or 2m (0s for none)')
      .default(DEFAULT_EVAL_SETTLE),
    /**
     * Engine replicas against one ClickHouse server share a lease (docs/replicas.md):
     * the holder runs the ticks; a standby takes over once it runs out. Keep it
     * shorter than the schedule's interval so a takeover costs at most one tick.
     */
    leaseTtl: z
      .string()
      .regex(/^\d+(?:ms|s|m)$/, 'expected a duration such as 30s, 1m or 1500ms')
      .refine((d) => leaseTtlMs(d) >= 1000, 'expected at least 1s')
      .default('30s'),
    /** This replica's name in the lease and its logs (default hostname:pid). */
    replicaId: z
      .string()
      .regex(/^[\x21-\x7e]{1,128}$/, 'expected 1 to 128 printable characters without spaces')
      .optional(),
    // Span and log events are counted when they are stored at most this long after (or before) their time.
    lateness: z
      .string()
      .regex(/^(?:\d+[mhd])+$/, 'expected a duration in whole minutes such as 30m, 1h or 6h')
      .refine((s) => /[1-9]/.test(s), 'expected a lateness bound longer than 0')
      .default('1h'),
    // How far behind the server's clock each tick's ingest cut stays (async inserts, Distributed queues, shard clock skew).
    ingestMargin: z
      .string()
      .regex(/^(?:\d+[smh])+$/, 'expected a duration such as 0s, 5s or 1m')
      .default('0s'),
  })
  .passthrough()

const alertRetrySchema = z
  .object({
    attempts: positiveInt.default(4),
    initialBackoffMs: positiveInt.default(500),
    maxBackoffMs: positiveInt.default(10_000),
    timeoutMs: positiveInt.default(10_000),
  })
  .strict()

export const alertsSchema = z
  .object({
    alertmanagerUrl: httpUrl.optional(),
    pagerdutyRoutingKey: z.string().min(1, 'expected a PagerDuty integration (routing) key').optional(),
    pagerdutyUrl: httpUrl.default('https://events.pagerduty.com/v2/enqueue'),
    webhookUrl: httpUrl.optional(),
    webhookHeaders: z.record(z.string(), z.string()).default({}),
    /** URL prefixes per-SLO notification targets may use, beside the global targets' URLs. */
    notifyUrlAllowlist: z.preprocess(commaList, z.array(httpUrl)).default([]),
    resendIntervalSeconds: positiveInt.default(60),
    dashboardUrl: z.string().min(1, 'expected a URL template such as https://grafana/d/cairn-slo-{slo}').optional(),
    windowsPath: z.string().min(1, 'expected a file or directory of AlertWindows').optional(),
    retry: alertRetrySchema.default(() => alertRetrySchema.parse({})),
  })
  .passthrough()

/** on/off, as a variable or YAML gives it: `On`, `true` and a YAML boolean count too. */
function onOff(value: unknown): unknown {
  const text = typeof value === 'boolean' ? String(value) : typeof value === 'string' ? value.trim().toLowerCase() : value
  return text === 'true' ? 'on' : text === 'false' ? 'off' : text
}

/** A percentage as 10% (YAML and env read it as a string) or 10, as a ratio (0.1). */
const percentRatio = z
  .union([z.number(), z.string().regex(/^\s*\d+(?:\.\d+)?\s*%?\s*$/, 'expected a percentage such as 0% or 25%').transform((t) => Number(t.replace('%', '')))], { error: 'expected a percentage such as 0% or 25%' })
  .pipe(z.number().min(0, 'expected a percentage from 0% to 100%').max(100, 'expected a percentage from 0% to 100%'))
  .transform((p) => Number((p / 100).toPrecision(12)))

/** A boolean that a variable may write as on/off or true/false. */
const flag = z.preprocess((v) => {
  const text = onOff(v)
  return text === 'on' ? true : text === 'off' ? false : v
}, z.boolean({ error: 'expected true or false (on or off)' }))

/**
 * The deploy gate's error-budget policy, as an SLO spec (`spec.policy`), a
 * service (`gate.services`) or the default (`gate.policy`) writes it; fields
 * left out come from the next level (docs/gate.md).
 */
export const budgetPolicyFields = z
  .strictObject({ freezeWhenRemainingBelow: percentRatio.optional(), freezeWhilePaging: flag.optional(), freezeWhenUnknown: flag.optional() })
  .transform((p) => Object.fromEntries(Object.entries(p).filter(([, v]) => v !== undefined)) as Partial<{ freezeWhenRemainingBelow: number; freezeWhilePaging: boolean; freezeWhenUnknown: boolean }>)

const defaultPolicySchema = z
  .object({ freezeWhenRemainingBelow: percentRatio.default(0), freezeWhilePaging: flag.default(true), freezeWhenUnknown: flag.default(false) })
  .strict()

export const gateSchema = z
  .object({
    policy: defaultPolicySchema.default(() => defaultPolicySchema.parse({})),
    /** Per-service policies, by service name: fields between the SLO's own and the default. */
    services: z.record(z.string(), budgetPolicyFields).default({}),
    /** An evaluation older than this counts as unknown (the engine has stopped evaluating the SLO). */
    staleAfterSeconds: positiveInt.default(900),
    /** The longest an override may last. */
    maxOverrideSeconds: positiveInt.default(7 * 86400),
  })
  .strict()

/** The SLO report sent on a schedule to a chat webhook (docs/reports.md); no schedule: none is sent. */
export const reportsSchema = z
  .object({
    schedule: z
      .string()
      .refine((s) => isValidCron(s), 'expected a cron expression of 5 fields (minute first) or 6 (seconds first), such as 0 9 * * 1 (Mondays 09:00)')
      .optional(),
    period: z.enum(['week', 'month'], { error: 'expected week or month' }).default('week'),
    /** Default: alerts.webhookUrl, with alerts.webhookHeaders. */
    webhookUrl: httpUrl.optional(),
  })
  .strict()

export const configSchema = z
  .object({
    /** Unset: 0.0.0.0 when the API is protected by tokens (or CAIRN_AUTH=none), 127.0.0.1 otherwise (cli/listen-host.ts). */
    host: z.string().min(1, 'expected a host name or address').optional(),
    logLevel: z.enum(logLevels, { error: `expected one of ${logLevels.join(', ')}` }).default('info'),
    /** Traces of cairn's own API and collector requests, into its own collector by default (docs/self-monitoring.md). */
    selfTraces: z.preprocess(onOff, z.enum(['on', 'off'], { error: 'expected on or off' })).default('on'),
    shutdownTimeoutMs: positiveInt.default(30_000),
    storage: storageSchema.default(() => storageSchema.parse({})),
    collector: collectorSchema.default(() => collectorSchema.parse({})),
    limits: limitsSchema.default(() => limitsSchema.parse({})),
    api: apiSchema.default(() => apiSchema.parse({})),
    engine: engineSchema.default(() => engineSchema.parse({})),
    alerts: alertsSchema.default(() => alertsSchema.parse({})),
    gate: gateSchema.default(() => gateSchema.parse({})),
    reports: reportsSchema.default(() => reportsSchema.parse({})),
  })
  .strict()
  .superRefine((c, ctx) => {
    if (c.reports.schedule !== undefined && c.reports.webhookUrl === undefined && c.alerts.webhookUrl === undefined) {
      ctx.addIssue({ code: 'custom', path: ['reports', 'webhookUrl'], message: 'reports.schedule is set but there is no webhook to send the report to: set reports.webhookUrl (CAIRN_REPORT_WEBHOOK_URL) or alerts.webhookUrl' })
    }
  })

export type CairnConfig = z.infer<typeof configSchema>
export type StorageConfig = z.infer<typeof storageSchema>
export type CollectorConfig = z.infer<typeof collectorSchema>
export type ApiConfig = z.infer<typeof apiSchema>
export type LimitsConfig = z.infer<typeof limitsSchema>
export type ApiRole = (typeof apiRoles)[number]
export type ApiToken = z.infer<typeof apiTokenSchema>
export type ApiReadLimits = z.infer<typeof readsSchema>
export type EngineConfig = z.infer<typeof engineSchema>
export type AlertsConfig = z.infer<typeof alertsSchema>
export type GateConfig = z.infer<typeof gateSchema>
export type ReportsConfig = z.infer<typeof reportsSchema>
