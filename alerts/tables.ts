import { createTablesMigration, type Migration } from '../storage/index.ts'

// The alert state machine's persisted state: one row per change of an
// (SLO, severity) alert; the newest row by updated_at is the current state
// (ReplacingMergeTree merges the older ones away).

export const ALERT_STATE_TABLE = 'cairn_alert_state'

// cairn_alert_history keeps every change (no merge drops one), for the alert
// history and the reports' alert durations; kept 400 days, a year of
// monthly reports and their previous month.
export const ALERT_HISTORY_TABLE = 'cairn_alert_history'

/** The columns of a state change, on the state table and the history alike. */
const CHANGE_COLUMNS = [
  'slo_id String',
  'severity LowCardinality(String)',
  // inactive | pending | firing | resolved
  'state LowCardinality(String)',
  'active_since Nullable(DateTime64(3))',
  'fired_at Nullable(DateTime64(3))',
  'resolved_at Nullable(DateTime64(3))',
]

export const alertsMigrations: Migration[] = [
  createTablesMigration('alerts/001_state', 'alert state per SLO and severity', () => [
    {
      name: ALERT_STATE_TABLE,
      columns: [
        ...CHANGE_COLUMNS,
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
  createTablesMigration('alerts/002_history', 'every alert state change, kept 400 days (history and reports)', () => [
    {
      name: ALERT_HISTORY_TABLE,
      columns: [...CHANGE_COLUMNS, 'updated_at DateTime64(3)'],
      engine: 'MergeTree',
      partitionBy: 'toYYYYMM(updated_at)',
      orderBy: '(slo_id, updated_at)',
      ttl: 'toDateTime(updated_at) + INTERVAL 400 DAY',
      shardingKey: 'cityHash64(slo_id)',
    },
  ]),
]
