import { dedupKey, idempotencyKey, iso, type AlertNotice } from './notice.ts'

// A generic JSON webhook: one request per alert when it fires and when it
// resolves (not resent while firing). Documented in docs/alerting.md.

export function webhookBody(notice: AlertNotice): Record<string, unknown> {
  return {
    version: '1',
    source: 'cairn',
    status: notice.status,
    dedupKey: dedupKey(notice),
    idempotencyKey: idempotencyKey(notice),
    alert: {
      name: notice.labels.alertname,
      slo: notice.sloId,
      service: notice.service,
      severity: notice.severity,
      labels: notice.labels,
      annotations: notice.annotations,
      startsAt: iso(notice.firedAtMs),
      endsAt: notice.status === 'resolved' ? iso(notice.endsAtMs) : null,
      ...(notice.generatorUrl && { generatorURL: notice.generatorUrl }),
    },
    evaluation: notice.evaluation ? { ...notice.evaluation, evaluatedAt: iso(notice.evaluation.evaluatedAtMs) } : null,
  }
}
