import { iso, type AlertNotice } from './notice.ts'

// Alertmanager API v2: POST /api/v2/alerts with a list of postable alerts.
// A firing alert carries endsAt in the future and is sent again before then;
// a resolved one carries endsAt = when it resolved.

export interface PostableAlert {
  labels: Record<string, string>
  annotations: Record<string, string>
  startsAt: string
  endsAt: string
  generatorURL?: string
}

export function alertmanagerAlert(notice: AlertNotice): PostableAlert {
  return {
    labels: nonEmpty(notice.labels),
    annotations: nonEmpty(notice.annotations),
    startsAt: iso(notice.firedAtMs),
    endsAt: iso(notice.endsAtMs),
    ...(notice.generatorUrl && { generatorURL: notice.generatorUrl }),
  }
}

/** Alertmanager drops labels with empty values anyway; leave them out so identities match. */
function nonEmpty(map: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(map).filter(([, v]) => v !== ''))
}

export function alertmanagerAlertsUrl(baseUrl: string): string {
  return `${baseUrl.replace(/\/+$/, '')}/api/v2/alerts`
}
