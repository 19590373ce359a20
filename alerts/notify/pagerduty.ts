import { dedupKey, iso, type AlertNotice } from './notice.ts'

// PagerDuty Events API v2 (POST https://events.pagerduty.com/v2/enqueue):
// `trigger` when the alert fires, `resolve` when it resolves, both with the
// same dedup_key so PagerDuty ties them to one incident.

export const PAGERDUTY_EVENTS_URL = 'https://events.pagerduty.com/v2/enqueue'

const SUMMARY_MAX = 1024

export function pagerdutyEvent(notice: AlertNotice, routingKey: string): Record<string, unknown> {
  const dedup_key = dedupKey(notice)
  if (notice.status === 'resolved') return { routing_key: routingKey, event_action: 'resolve', dedup_key }
  const summary = notice.annotations.summary ?? `${notice.sloId}: error budget burning too fast (${notice.severity})`
  const links = [
    notice.annotations.runbook_url && { href: notice.annotations.runbook_url, text: 'Runbook' },
    notice.annotations.dashboard && { href: notice.annotations.dashboard, text: 'Dashboard' },
  ].filter(Boolean)
  return {
    routing_key: routingKey,
    event_action: 'trigger',
    dedup_key,
    payload: {
      summary: summary.length > SUMMARY_MAX ? `${summary.slice(0, SUMMARY_MAX - 1)}…` : summary,
      source: 'cairn',
      severity: notice.severity === 'page' ? 'critical' : 'warning',
      timestamp: iso(notice.firedAtMs),
      component: notice.service,
      group: notice.sloId,
      class: 'slo-burn-rate',
      custom_details: { labels: notice.labels, annotations: notice.annotations, ...notice.evaluation },
    },
    client: 'cairn',
    ...(notice.generatorUrl && { client_url: notice.generatorUrl }),
    ...(links.length > 0 && { links }),
  }
}
