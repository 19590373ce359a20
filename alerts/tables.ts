import { createTablesMigration, type Migration } from '../storage/index.ts'

// The alert state machine's persisted state: one row per change of an
// (SLO, severity) alert; the newest row by updated_at is the current state
// (ReplacingMergeTree merges the older ones away).

export const ALERT_STATE_TABLE = 'cairn_alert_state'

export const alertsMigrations: Migration[] = [
  createTablesMigration('alerts/001_state', 'alert state per SLO and severity', () => [
    {
      name: ALERT_STATE_TABLE,
      columns: [
        'slo_id String',
        'severity LowCardinality(String)',
        // inactive | pending | firing | resolved
        'state LowCardinality(String)',
        'active_since Nullable(DateTime64(3))',
        'fired_at Nullable(DateTime64(3))',
        'resolved_at Nullable(DateTime64(3))',
        // notification target key → when the current firing (or its resolve) last reached it
        'delivered Map(String, DateTime64(3))',
        // targets that received the current firing: its resolve goes to them
        'notified Array(String)',
        'labels Map(String, String)',
        'annotations Map(String, String)',
        'updated_at DateTime64(3)',
      ],
      engine: 'ReplacingMergeTree',
      engineArgs: ['updated_at'],
      orderBy: '(slo_id, severity)',
      shardingKey: 'cityHash64(slo_id)',
    },
  ]),
]
