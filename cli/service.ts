import { join } from 'node:path'
import { Hono } from 'hono'
import { ConfigError, type CairnConfig } from '../config/index.ts'
import { createLogger, createMetricsRegistry, createSelfTracing, ingestTokenOf, selfTraceTarget, traceEnvProblem, type Logger, type Registry } from '../instrumentation/index.ts'
import { openStorage, migrate, isMigrated, otelMigrations, otelTables, type Migration, type Storage } from '../storage/index.ts'
import { COLLECTOR_TASK_MODULES, collectorMigrations, createCollector, type Collector } from '../collector/index.ts'
import { burnExplainer, createEngine, createSloCatalog, engineMigrations, leaseMigrations, SPEC_PARSE_TASK, type Engine } from '../slo-engine/index.ts'
import { alertsMigrations, configuredWindows, createAlerter, notifyUrlAllowlist, policyResolver, ruleOptionsFromConfig, type Alerter } from '../alerts/index.ts'
import { engineLeadership, type EngineLeadership } from './leadership.ts'
import { gateMigrations } from '../gate/index.ts'
import { createReportSender, type ReportSender } from '../reports/index.ts'
import { UsageError } from './command.ts'
import { createIsolation } from '../isolation/index.ts'
import { listenHost } from './listen-host.ts'
import { attachApi, boundedRead, createAuthorizer, healthRoutes, listen, requestTracing, type ListeningServer } from '../api/index.ts'

export type Role = 'collector' | 'engine' | 'api'

export interface ServiceOptions {
  /** How often spans of cairn's own requests are exported (default OTEL_BSP_SCHEDULE_DELAY or 5 s); tests shorten it. */
  traceExportDelayMs?: number
  /** Where OTEL_* settings are read (default process.env). */
  env?: Record<string, string | undefined>
}

export interface RunningService {
  /** Bound ports (useful when the config asked for port 0). */
  apiPort: number
  otlpPort: number | undefined
  storage: Storage
  registry: Registry
  /** Graceful stop: stop accepting, drain buffers, finish the running tick, close storage. */
  stop(): Promise<void>
}

/** How long stopping waits for the last self-traces to reach the collector. */
const TRACE_FLUSH_TIMEOUT_MS = 3_000

/** Every schema step of every component, in the order they apply. */
export function allMigrations(config: CairnConfig): Migration[] {
  return [...otelMigrations(config.storage.ttlDays), ...collectorMigrations, ...engineMigrations, ...leaseMigrations, ...alertsMigrations, ...gateMigrations]
}

/** Opens storage, applies migrations (including TTL changes), and returns the result. */
export async function openAndMigrate(config: CairnConfig, logger: Logger): Promise<Storage> {
  const storage = await openStorage(config.storage, logger)
  logger.info({ mode: storage.mode, database: storage.database, cluster: storage.cluster }, 'storage open')
  try {
    const result = await migrate(storage, allMigrations(config), otelTables(config.storage.ttlDays))
    if (result.applied.length > 0) logger.info({ applied: result.applied }, 'migrations applied')
    if (result.ttlChanged.length > 0) logger.info({ tables: result.ttlChanged }, 'TTL changed')
  } catch (err) {
    await storage.close().catch(() => undefined)
    throw err
  }
  return storage
}

/**
 * Runs the given roles in this process: `serve` is all three on the embedded
 * store; `collector`, `engine` and `api` run one each against a server. Every
 * role serves /healthz, /readyz and /metrics on the API port.
 */
export async function startService(config: CairnConfig, roles: readonly Role[], logger = createLogger(config.logLevel), options: ServiceOptions = {}): Promise<RunningService> {
  const env = options.env ?? process.env
  const envProblem = config.selfTraces === 'on' ? traceEnvProblem(env) : undefined
  if (envProblem) throw new ConfigError([envProblem])
  const { host, openBecause } = listenHost(config)
  const registry = createMetricsRegistry()
  const tracing = createSelfTracing({ logger: logger.child({ component: 'self-traces' }), registry, roles, exportDelayMs: options.traceExportDelayMs })
  const storage = await openAndMigrate(config, logger)
  const migrations = allMigrations(config)

  const auth = createAuthorizer(config.api.tokens)
  if (openBecause === 'auth-none') {
    logger.warn({ host }, 'CAIRN_AUTH=none: the API and the collector accept every request without authentication')
  } else if (openBecause === 'loopback-only') {
    logger.warn({ host }, 'no API tokens configured (CAIRN_API_TOKENS): listening on loopback only; configure tokens, or set CAIRN_AUTH=none, to serve other hosts')
  }
  // Spec files and PUTs are refused when a per-SLO notification URL is not allowed.
  const parseOptions = { checkNotifyUrl: notifyUrlAllowlist(config.alerts).check }

  // One body budget and one set of parse workers for every request of the process, collector and API.
  const isolation = createIsolation(config.limits)
  void isolation.pool.warm([...(roles.includes('collector') ? COLLECTOR_TASK_MODULES : []), ...(roles.includes('api') ? [SPEC_PARSE_TASK.module] : [])])
  const collector: Collector | undefined = roles.includes('collector')
    ? createCollector({
        config: config.collector,
        host,
        storage,
        logger: logger.child({ component: 'collector' }),
        registry,
        // Senders need a token with the ingest role once tokens are configured.
        authorize: auth.enabled ? (header) => auth.authorize(header, 'ingest') : undefined,
        retentionDays: config.storage.ttlDays,
        isolation,
        tracer: tracing.tracer('collector'),
        queueDir: join(config.storage.dataDir, 'wal'),
      })
    : undefined
  // Engine replicas share a lease: only its holder ticks, pages and sends reports; its writes are fenced by the lease epoch.
  const leadership: EngineLeadership | undefined = roles.includes('engine') ? engineLeadership(config.engine, storage, logger.child({ component: 'lease' }), registry) : undefined
  const engineStorage = leadership?.storage ?? storage
  // The alert windows files, read once: the engine pages, and the API's rules and dashboards show, the same policy.
  const windows = roles.includes('engine') || roles.includes('api') ? configuredWindows(config.alerts) : new Map()
  // Alerting runs with the engine: it pages from each evaluation.
  const alerter: Alerter | undefined = roles.includes('engine')
    ? createAlerter({
        config: config.alerts,
        storage: engineStorage,
        logger: logger.child({ component: 'alerts' }),
        registry,
        windows,
        leadership: leadership?.lease,
        // Pages and tickets name where the burn sits, read as bounded as the API's telemetry reads.
        explain: burnExplainer(boundedRead(storage, config.api.reads)),
      })
    : undefined
  const engine: Engine | undefined = roles.includes('engine')
    ? createEngine({
        config: config.engine,
        storage: engineStorage,
        catalog: createSloCatalog({ storage: engineStorage, sloDir: config.engine.sloDir, logger: logger.child({ component: 'engine' }), parseOptions }),
        logger: logger.child({ component: 'engine' }),
        registry,
        onEvaluated: alerter!.onEvaluated,
        onTickDone: alerter!.onTickDone,
        extraWindowsSeconds: alerter!.extraWindowsSeconds,
      })
    : undefined

  const app = new Hono()
  app.use(requestTracing(tracing.tracer('api')))
  // /readyz also says how far the engine's backfills are (SLOs still pending are not evaluated yet), whether
  // this engine replica leads or stands by (a standby is ready: healthy, able to take over), and how deep the
  // collector's queue is; a queue about to refuse senders makes the process not ready.
  const engineDetail = () => (engine ? { engine: { backfill: engine.progress(), ...(leadership!.replicated && { lease: leadership!.lease.status() }) } } : {})
  const detail = () => ({ ...engineDetail(), ...collectorDetail(collector) })
  const check = async () => collector?.queue()?.health.state === 'full' ? collector.queue()!.health.reason : readiness(storage, migrations)
  app.route('/', healthRoutes({ check, detail }, registry, auth))
  if (roles.includes('api')) {
    // The API reads the catalog from storage; the engine keeps it in step with the SLO directory.
    const catalog = createSloCatalog({ storage, sloDir: undefined, logger: logger.child({ component: 'catalog' }), parseOptions })
    // Rules and dashboards read the same alert policy (windows files included) the engine pages with.
    const ruleOptions = ruleOptionsFromConfig(config.alerts, windows, config.engine)
    attachApi(app, { storage, logger: logger.child({ component: 'api' }), auth, catalog, ruleOptions, resolvePolicy: policyResolver(windows), statusCacheMs: config.api.statusCacheMs, reads: config.api.reads, parseOptions, isolation, gate: config.gate })
  }

  let http: ListeningServer | undefined
  let otlpPort: number | undefined
  try {
    otlpPort = await collector?.start().catch(listenError(host, config.collector.port, 'CAIRN_OTLP_PORT'))
    // The lease holder loads the alert states and starts ticking; a standby waits for the lease.
    await leadership?.start(engine!, alerter!)
    http = await listen(app, host, config.api.port).catch(listenError(host, config.api.port, 'CAIRN_HTTP_PORT'))
    tracing.start(selfTarget(config, host, otlpPort, env))
  } catch (err) {
    await collector?.stop().catch(() => undefined)
    await leadership?.stop().catch(() => undefined)
    await isolation.pool.close()
    await storage.close().catch(() => undefined)
    throw err
  }
  // The scheduled report goes out from the engine's process, once per deployment like pages.
  const reports: ReportSender | undefined = roles.includes('engine')
    ? createReportSender({
        config: config.reports,
        alerts: config.alerts,
        storage,
        catalog: createSloCatalog({ storage, sloDir: undefined, logger: logger.child({ component: 'reports' }), parseOptions }),
        attributionQuery: boundedRead(storage, config.api.reads),
        attributionMaxRangeMs: config.api.reads.maxRangeDays * 86_400_000,
        logger: logger.child({ component: 'reports' }),
        leadership: leadership?.lease,
      })
    : undefined
  logger.info({ roles, apiPort: http.port, otlpPort }, 'cairn started')

  let stopping: Promise<void> | undefined
  const stop = () =>
    (stopping ??= (async () => {
      logger.info('stopping: draining buffers')
      // Spans ended so far go out while this process's collector still takes them.
      await tracing.flush(TRACE_FLUSH_TIMEOUT_MS).catch(() => undefined)
      await reports?.stop()
      await collector?.stop()
      // The tick finishes, queued notices go out under the lease, then a standby may take over.
      await leadership?.stop()
      await http!.close()
      await isolation.pool.close()
      await storage.close()
      await tracing?.shutdown().catch(() => undefined)
      logger.info('stopped')
    })())
  return { apiPort: http.port, otlpPort, storage, registry, stop }
}

/** The collector's queue for /readyz: depth, age, and `ok`, `backing_up` or `full`. */
function collectorDetail(collector: Collector | undefined): Record<string, unknown> {
  const q = collector?.queue()
  if (!q) return {}
  const { rows, requests, bytes, oldestAgeSeconds } = q.stats
  return { collector: { queue: { state: q.health.state, ...(q.health.reason ? { reason: q.health.reason } : {}), rows, requests, bytes, oldestAgeSeconds: Math.round(oldestAgeSeconds * 10) / 10 } } }
}

/** Where this process's own spans go: OTEL_EXPORTER_OTLP_ENDPOINT, else its own collector, else nowhere. */
function selfTarget(config: CairnConfig, host: string, otlpPort: number | undefined, env: Record<string, string | undefined>) {
  return selfTraceTarget({
    setting: config.selfTraces,
    env,
    collector: otlpPort === undefined ? undefined : { host, port: otlpPort },
    ingestToken: ingestTokenOf(config.api.tokens),
    tokensConfigured: config.api.tokens.length > 0,
  })
}

/** A port that cannot be bound is the user's to fix: say which and why, without a stack trace. */
function listenError(host: string, port: number, envVar: string): (err: unknown) => never {
  return (err) => {
    const code = (err as NodeJS.ErrnoException).code
    const why = code === 'EADDRINUSE' ? 'the address is already in use' : code === 'EACCES' ? 'permission denied' : code === 'EADDRNOTAVAIL' ? 'no such local address' : undefined
    if (!why) throw err
    throw new UsageError(`cannot listen on ${host}:${port} (${envVar}): ${why}`, 1)
  }
}

async function readiness(storage: Storage, migrations: Migration[]): Promise<string | undefined> {
  try {
    await storage.ping()
  } catch (err) {
    return `storage unreachable: ${(err as Error).message}`
  }
  return (await isMigrated(storage, migrations)) ? undefined : 'storage not migrated'
}
