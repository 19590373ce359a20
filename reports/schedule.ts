import { schedule, type ScheduledTask } from 'node-cron'
import { postJson, type RetryPolicy } from '../alerts/index.ts'
import type { AlertsConfig, ReportsConfig } from '../config/index.ts'
import type { Logger } from '../instrumentation/index.ts'
import type { AttributionQuery, Leadership, SloCatalog } from '../slo-engine/index.ts'
import type { Storage } from '../storage/index.ts'
import { makeReport } from './gather.ts'
import { reportJson, reportMarkdown } from './render.ts'

// The report on a cron schedule (reports.schedule), posted to a chat webhook
// (reports.webhookUrl, default alerts.webhookUrl) as { text, report }: `text`
// is the markdown chat tools show as is, `report` the API's JSON. Sent with
// the alert notifier's HTTP code: retries, no redirects, bounded answers.

export interface ReportSenderDeps {
  config: ReportsConfig
  alerts: Pick<AlertsConfig, 'webhookUrl' | 'webhookHeaders' | 'retry'>
  storage: Storage
  catalog: SloCatalog
  attributionQuery: AttributionQuery
  attributionMaxRangeMs: number
  logger: Logger
  /**
   * Engine replicas (docs/replicas.md): only the replica holding
   * the engine lease sends, and only if it still holds the epoch it began
   * building under just before posting. Absent: always sends (one engine).
   */
  leadership?: Leadership
  /** For tests: the HTTP client (default fetch). */
  fetch?: (url: string, init: RequestInit) => Promise<Response>
}

export interface ReportSender {
  /** Builds the report of the last complete period at `nowMs` and posts it; true when delivered. */
  send(nowMs?: number): Promise<boolean>
  /** Stops the schedule and waits for a send under way. */
  stop(): Promise<void>
}

const ATTRIBUTION_BUDGET_MS = 10_000

/** undefined when no schedule is configured (the config schema refuses a schedule without a webhook). */
export function createReportSender(deps: ReportSenderDeps): ReportSender | undefined {
  const { config, alerts, logger } = deps
  if (config.schedule === undefined) return undefined
  const target = config.webhookUrl ?? alerts.webhookUrl
  if (target === undefined) return undefined
  const url: string = target
  // The alert webhook's headers (its credentials) go only to the alert webhook.
  const headers = config.webhookUrl === undefined || config.webhookUrl === alerts.webhookUrl ? alerts.webhookHeaders : {}
  const retry: RetryPolicy = alerts.retry
  let running: Promise<boolean> | undefined

  async function build(nowMs: number) {
    const slos = await deps.catalog.list()
    const report = await makeReport(
      { period: config.period, atMs: nowMs, nowMs, slos, filter: {} },
      { storage: deps.storage, attributionQuery: deps.attributionQuery, attributionMaxRangeMs: deps.attributionMaxRangeMs, attributionBudgetMs: ATTRIBUTION_BUDGET_MS },
    )
    return reportJson(report)
  }

  async function sendOnce(nowMs: number): Promise<boolean> {
    const { leadership } = deps
    const epoch = leadership?.epoch()
    if (leadership && epoch === undefined) {
      logger.info('SLO report not sent by this replica: it stands by, the engine replica holding the lease sends it')
      return false
    }
    try {
      const json = await build(nowMs)
      if (leadership && leadership.epoch() !== epoch) {
        logger.warn({ period: json.period, from: json.from, epoch }, 'SLO report not sent: this replica lost the engine lease while building it (`cairn report` makes this period\'s report)')
        return false
      }
      const result = await postJson(url, { text: reportMarkdown(json), report: json }, { retry, headers, ...(deps.fetch && { fetch: deps.fetch }) })
      if (result.ok) logger.info({ period: json.period, from: json.from, to: json.to, attempts: result.attempts }, 'SLO report sent')
      else logger.error({ period: json.period, from: json.from, attempts: result.attempts, error: result.error }, 'SLO report not delivered')
      return result.ok
    } catch (err) {
      logger.error({ err }, 'SLO report not built')
      return false
    }
  }

  const send = (nowMs = Date.now()) => (running ??= sendOnce(nowMs).finally(() => (running = undefined)))
  const task: ScheduledTask = schedule(config.schedule, () => void send(), { noOverlap: true })
  return {
    send,
    async stop() {
      await task.stop()
      await running
    },
  }
}
