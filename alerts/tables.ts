import { createTablesMigration, type Migration } from '../storage/index.ts'

// The alert state machine's persisted state. The alerting issue defines its final shape.

export const ALERT_STATE_TABLE = 'cairn_alert_state'

export const alertsMigrations: Migration[] = [
  createTablesMigration('alerts/001_state', 'alert state per SLO and severity', () => [
    {
      name: ALERT_STATE_TABLE,
      columns: [
        'slo_id String',
        'severity LowCardinality(String)',
        'state LowCardinality(String)',
        'active_since Nullable(DateTime64(3))',
        'last_notified_at Nullable(DateTime64(3))',
        'updated_at DateTime64(3)',
      ],
      engine: 'ReplacingMergeTree',
      engineArgs: ['updated_at'],
      orderBy: '(slo_id, severity)',
    },
  ]),
]
