// Environment variables and the config keys they set. One table, so the loader,
// the error messages and `cairn help` all agree. An empty variable counts as unset.

export interface EnvVar {
  name: string
  /** Dotted path of the config key it sets. */
  key: string
  description: string
}

export const ENV_VARS: readonly EnvVar[] = [
  { name: 'CAIRN_HOST', key: 'host', description: 'address the OTLP and API servers listen on (default 0.0.0.0 with tokens or CAIRN_AUTH=none, else 127.0.0.1)' },
  { name: 'CAIRN_LOG_LEVEL', key: 'logLevel', description: 'fatal|error|warn|info|debug|trace|silent (default info)' },
  { name: 'CAIRN_SELF_TRACES', key: 'selfTraces', description: 'on|off: trace cairn\'s own API and collector requests into its collector, or OTEL_EXPORTER_OTLP_ENDPOINT (default on)' },
  { name: 'CAIRN_DATA_DIR', key: 'storage.dataDir', description: 'embedded store directory (default ./data)' },
  { name: 'CAIRN_CLICKHOUSE_URL', key: 'storage.clickhouse.url', description: 'ClickHouse server HTTP URL; set it to use a server instead of the embedded store' },
  { name: 'CAIRN_CLICKHOUSE_USER', key: 'storage.clickhouse.user', description: 'ClickHouse user (default "default")' },
  { name: 'CAIRN_CLICKHOUSE_PASSWORD', key: 'storage.clickhouse.password', description: 'ClickHouse password (default empty)' },
  { name: 'CAIRN_CLICKHOUSE_DATABASE', key: 'storage.clickhouse.database', description: 'ClickHouse database (default "default")' },
  { name: 'CAIRN_CLICKHOUSE_CLUSTER', key: 'storage.clickhouse.cluster', description: 'cluster name: DDL runs ON CLUSTER with Replicated and Distributed tables' },
  { name: 'CAIRN_TTL_TRACES_DAYS', key: 'storage.ttlDays.traces', description: 'days to keep spans, 0 = forever (default 30)' },
  { name: 'CAIRN_TTL_LOGS_DAYS', key: 'storage.ttlDays.logs', description: 'days to keep log records, 0 = forever (default 30)' },
  { name: 'CAIRN_TTL_METRICS_DAYS', key: 'storage.ttlDays.metrics', description: 'days to keep metric points, 0 = forever (default 90)' },
  { name: 'CAIRN_OTLP_PORT', key: 'collector.port', description: 'OTLP/HTTP and remote_write port (default 4318)' },
  { name: 'CAIRN_COLLECTOR_QUEUE', key: 'collector.queue.mode', description: 'disk: acknowledge ingest once fsynced to the collector\'s write-ahead queue; off: once inserted into ClickHouse (default disk)' },
  { name: 'CAIRN_COLLECTOR_QUEUE_DIR', key: 'collector.queue.dir', description: 'this collector\'s own queue directory (default <CAIRN_DATA_DIR>/wal)' },
  { name: 'CAIRN_COLLECTOR_QUEUE_MAX_BYTES', key: 'collector.queue.maxBytes', description: 'disk bound of the queue: bytes not yet inserted before senders get 429/503 (default 4294967296)' },
  { name: 'CAIRN_MAX_FUTURE_SKEW_SECONDS', key: 'collector.maxFutureSkewSeconds', description: 'items dated more than this many seconds ahead of the clock are refused, 0 = no limit (default 3600)' },
  { name: 'CAIRN_INFLIGHT_BODY_BYTES', key: 'limits.inflightBodyBytes', description: 'request-body bytes held at once across all requests, decompressed; beyond: 429 (default 134217728)' },
  { name: 'CAIRN_PARSE_WORKERS', key: 'limits.parseWorkers', description: 'worker threads that parse large bodies and specs, 0 = the cores, at most 2 (default 0)' },
  { name: 'CAIRN_HTTP_PORT', key: 'api.port', description: 'API, health and /metrics port (default 8080)' },
  { name: 'CAIRN_API_TOKENS', key: 'api.tokens', description: 'bearer tokens as role[+role]:token,… with roles ingest, read, admin (default none: open)' },
  { name: 'CAIRN_AUTH', key: 'api.auth', description: 'none: no authentication, on any address (warned); default: tokens, and loopback only while none is configured' },
  { name: 'CAIRN_SLO_DIR', key: 'engine.sloDir', description: 'directory of SLO YAML files (default ./slos)' },
  { name: 'CAIRN_EVAL_SCHEDULE', key: 'engine.schedule', description: 'cron schedule of SLO evaluation, 5 or 6 fields (default every minute)' },
  { name: 'CAIRN_EVAL_LOOKBACK', key: 'engine.lookback', description: 'metric SLIs: trailing minutes of metric points rolled up again every tick, for late points (default 10m)' },
  { name: 'CAIRN_EVAL_LATENESS', key: 'engine.lateness', description: 'span and log SLIs: events stored up to this long after their time are counted, later ones are reported and not counted (default 1h)' },
  { name: 'CAIRN_EVAL_INGEST_MARGIN', key: 'engine.ingestMargin', description: 'how far behind the ClickHouse clock each tick reads newly stored spans and logs; raise it for async or Distributed inserts (default 0s)' },
  { name: 'CAIRN_EVAL_SETTLE', key: 'engine.settle', description: 'how long after a minute ends before scheduled ticks evaluate it, so data still arriving is in (default 15s)' },
  { name: 'CAIRN_ENGINE_LEASE_TTL', key: 'engine.leaseTtl', description: 'engine replicas on one ClickHouse server: how long the leader\'s lease lasts unrenewed before a standby takes over (default 30s)' },
  { name: 'CAIRN_ENGINE_REPLICA_ID', key: 'engine.replicaId', description: 'this engine replica\'s name in the lease, logs and /readyz (default hostname:pid)' },
  { name: 'CAIRN_ALERTMANAGER_URL', key: 'alerts.alertmanagerUrl', description: 'Alertmanager base URL, e.g. http://127.0.0.1:9093' },
  { name: 'CAIRN_PAGERDUTY_ROUTING_KEY', key: 'alerts.pagerdutyRoutingKey', description: 'PagerDuty Events API v2 integration key: page PagerDuty directly' },
  { name: 'CAIRN_PAGERDUTY_URL', key: 'alerts.pagerdutyUrl', description: 'PagerDuty Events API v2 URL (default https://events.pagerduty.com/v2/enqueue)' },
  { name: 'CAIRN_ALERT_WEBHOOK_URL', key: 'alerts.webhookUrl', description: 'URL that receives every alert as JSON when it fires and resolves' },
  { name: 'CAIRN_REPORT_SCHEDULE', key: 'reports.schedule', description: 'cron schedule of the SLO report sent to the webhook, e.g. "0 9 * * 1" (default none: not sent)' },
  { name: 'CAIRN_REPORT_PERIOD', key: 'reports.period', description: 'week|month: the period the scheduled report covers (default week)' },
  { name: 'CAIRN_REPORT_WEBHOOK_URL', key: 'reports.webhookUrl', description: 'URL the scheduled report is posted to as {"text": markdown, "report": …} (default CAIRN_ALERT_WEBHOOK_URL)' },
  { name: 'CAIRN_NOTIFY_URL_ALLOWLIST', key: 'alerts.notifyUrlAllowlist', description: 'comma-separated URL prefixes per-SLO notify targets may use, beside the global targets (default: only those)' },
  { name: 'CAIRN_ALERT_RESEND_INTERVAL_SECONDS', key: 'alerts.resendIntervalSeconds', description: 'how often firing alerts are sent again to Alertmanager (default 60)' },
  { name: 'CAIRN_ALERT_DASHBOARD_URL', key: 'alerts.dashboardUrl', description: 'dashboard link in alerts; {slo}, {service}, {name} are replaced' },
  { name: 'CAIRN_GATE_FREEZE_BELOW', key: 'gate.policy.freezeWhenRemainingBelow', description: 'deploy gate default: refuse while an SLO\'s remaining error budget is below this percentage (default 0%: once overspent)' },
  { name: 'CAIRN_GATE_FREEZE_WHILE_PAGING', key: 'gate.policy.freezeWhilePaging', description: 'deploy gate default: refuse while an SLO\'s page alert fires, on|off (default on)' },
  { name: 'CAIRN_GATE_FREEZE_WHEN_UNKNOWN', key: 'gate.policy.freezeWhenUnknown', description: 'deploy gate default: refuse while an SLO has no data, no or a stale evaluation, on|off (default off)' },
  { name: 'CAIRN_ALERT_WINDOWS', key: 'alerts.windowsPath', description: 'file or directory of Sloth AlertWindows overriding the derived alert windows per SLO period' },
]

export function envVarForKey(key: string): string | undefined {
  return ENV_VARS.find((v) => v.key === key)?.name
}
