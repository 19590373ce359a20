import { createMaterializedViewStatement, createTableStatements, createTablesMigration, localTableName, quoteIdentifier, type DdlTarget, type Migration, type TableDef } from '../storage/index.ts'

// Cairn's own tables for the SLO engine.
//
// cairn_slo_definitions is the SLO catalog: one row per change of one SLO
// (source "file" mirrors CAIRN_SLO_DIR, source "api" is managed through the
// API). The current state of an SLO is its latest row by updated_at; readers
// take it with argMax so the answer is right before merges and across shards.
//
// cairn_slo_rollups holds per-minute running sums per SLO (see
// rollup/cumulative.ts). It is ordered by minute first: an evaluation reads the
// same few minutes (now − each window) for every SLO, which are then a handful
// of contiguous ranges. Rows of one (SLO, minute) written again (the trailing
// lookback, a backfill) replace older ones by computed_at; rows of an earlier
// definition are told apart by sli_hash.
//
// No TTL: the engine drops monthly partitions no SLO's window reaches any
// more (rollup/prune.ts), so a long calendar window is never cut short.
//
// cairn_slo_rollup_state records, per SLO, which definition its rollups
// follow, the first minute they count and the minute they reach, and for span
// and log SLIs the ingest watermark: the rows stored before ingested_to are
// counted (all of them when ingest_complete, else those before computed_to:
// a backfill under way). Each rollup row also carries the watermark it was
// computed with, so that a restart after rows were written but not the state
// resumes from the rows (rollup/ingest.ts).
//
// cairn_slo_evaluations is the history: one row per SLO per tick.
// cairn_slo_status keeps only the latest evaluation of each SLO, so reading
// the current status never scans the history.

export const ENGINE_TABLES = {
  definitions: 'cairn_slo_definitions',
  rollups: 'cairn_slo_rollups',
  rollupState: 'cairn_slo_rollup_state',
  evaluations: 'cairn_slo_evaluations',
  status: 'cairn_slo_status',
  budgetHourly: 'cairn_slo_budget_hourly',
} as const

const ROLLUP_INGESTED_TO = 'ingested_to DateTime64(3) DEFAULT 0'
const STATE_INGEST_COLUMNS = ['ingested_to DateTime64(3) DEFAULT 0', 'ingest_complete UInt8 DEFAULT 0']

const ERROR_COLUMN = "error String DEFAULT ''"
const EVALUATION_COLUMNS = [
  'slo_id LowCardinality(String)',
  'evaluated_at DateTime64(3)',
  'status LowCardinality(String)',
  'objective Float64',
  'sli Nullable(Float64)',
  'events_total Float64',
  'events_bad Float64',
  'budget_total Float64',
  'budget_consumed Float64',
  'budget_remaining Nullable(Float64)',
  'burn_rates Map(LowCardinality(String), Float64)',
  // Why the evaluation failed (status error), else empty.
  ERROR_COLUMN,
]

function engineTables(): TableDef[] {
  return [
    {
      name: ENGINE_TABLES.definitions,
      columns: [
        'slo_id String',
        'source LowCardinality(String)',
        'format LowCardinality(String)',
        // The Slo model as JSON, and a hash of it without its source position (what changes the SLO's meaning).
        'definition String',
        'definition_hash String',
        // The YAML as the API received it (empty for file SLOs: the file is the record).
        'spec_text String',
        'updated_at DateTime64(3)',
        'deleted UInt8',
      ],
      engine: 'ReplacingMergeTree',
      engineArgs: ['updated_at'],
      orderBy: 'slo_id',
      shardingKey: 'cityHash64(slo_id)',
    },
    {
      name: ENGINE_TABLES.rollups,
      columns: [
        'minute DateTime',
        'slo_id LowCardinality(String)',
        'good Float64 CODEC(Gorilla, ZSTD(1))',
        'total Float64 CODEC(Gorilla, ZSTD(1))',
        'cum_good Float64 CODEC(Gorilla, ZSTD(1))',
        'cum_total Float64 CODEC(Gorilla, ZSTD(1))',
        'cum_slices Float64 CODEC(Gorilla, ZSTD(1))',
        'cum_slices_good Float64 CODEC(Gorilla, ZSTD(1))',
        'sli_hash LowCardinality(String)',
        'computed_at DateTime64(3)',
        ROLLUP_INGESTED_TO,
      ],
      engine: 'ReplacingMergeTree',
      engineArgs: ['computed_at'],
      partitionBy: 'toYYYYMM(minute)',
      orderBy: '(minute, slo_id)',
      // Point reads of a few minutes × all SLOs: small granules read little beyond what is asked.
      settings: { index_granularity: 1024 },
      shardingKey: 'cityHash64(slo_id)',
    },
    {
      name: ENGINE_TABLES.rollupState,
      columns: ['slo_id String', 'sli_hash String', 'epoch_minute DateTime', 'computed_to DateTime', 'updated_at DateTime64(3)', ...STATE_INGEST_COLUMNS],
      engine: 'ReplacingMergeTree',
      engineArgs: ['updated_at'],
      orderBy: 'slo_id',
      shardingKey: 'cityHash64(slo_id)',
    },
    {
      name: ENGINE_TABLES.evaluations,
      columns: EVALUATION_COLUMNS,
      engine: 'MergeTree',
      partitionBy: 'toYYYYMM(evaluated_at)',
      orderBy: '(slo_id, evaluated_at)',
      shardingKey: 'cityHash64(slo_id)',
    },
    {
      name: ENGINE_TABLES.status,
      columns: EVALUATION_COLUMNS,
      engine: 'ReplacingMergeTree',
      engineArgs: ['evaluated_at'],
      orderBy: 'slo_id',
      shardingKey: 'cityHash64(slo_id)',
    },
  ]
}

// cairn_slo_budget_hourly keeps each SLO's last remaining budget of every
// hour, filled from the evaluations by a materialized view: the overview's
// sparklines read 168 rows per SLO for a week instead of 10,080 (a thousand
// SLOs: ~3 s → tens of ms). Duplicates (the backfill racing the view) are
// harmless: argMax of the same row twice is that row. Kept 35 days.
const BUDGET_HOURLY: TableDef = {
  name: ENGINE_TABLES.budgetHourly,
  columns: ['slo_id LowCardinality(String)', 'hour DateTime', 'remaining AggregateFunction(argMax, Nullable(Float64), DateTime64(3))'],
  engine: 'AggregatingMergeTree',
  orderBy: '(slo_id, hour)',
  partitionBy: 'toYYYYMM(hour)',
  ttl: 'hour + INTERVAL 35 DAY',
  shardingKey: 'cityHash64(slo_id)',
}
const BUDGET_HOURLY_SELECT = `SELECT slo_id, toStartOfHour(evaluated_at) AS hour, argMaxState(budget_remaining, evaluated_at) AS remaining FROM {from}`

const budgetHourlyMigration: Migration = {
  id: 'slo-engine/002_budget_hourly',
  description: 'hourly remaining budget per SLO (sparklines), from the evaluations by a materialized view, backfilled',
  statements: (target) => [
    ...createTableStatements(BUDGET_HOURLY, target),
    createMaterializedViewStatement({ name: `${BUDGET_HOURLY.name}_mv`, to: BUDGET_HOURLY.name, from: ENGINE_TABLES.evaluations, select: `${BUDGET_HOURLY_SELECT} GROUP BY slo_id, hour` }, target),
    `INSERT INTO ${BUDGET_HOURLY.name} ${BUDGET_HOURLY_SELECT.replace('{from}', ENGINE_TABLES.evaluations)} WHERE evaluated_at >= now() - INTERVAL 35 DAY GROUP BY slo_id, hour`,
  ],
}

/** ALTER … ADD COLUMN IF NOT EXISTS of `columns` on `tables` (and on a cluster their local tables), for stores created before them. */
function addColumns(target: DdlTarget, tables: readonly string[], columns: readonly string[]): string[] {
  const onCluster = target.cluster ? ` ON CLUSTER ${quoteIdentifier(target.cluster)}` : ''
  const names = tables.flatMap((t) => (target.cluster ? [localTableName(t, target), t] : [t]))
  return names.flatMap((t) => columns.map((c) => `ALTER TABLE ${quoteIdentifier(t)}${onCluster} ADD COLUMN IF NOT EXISTS ${c}`))
}

/** The evaluation tables' `error` column (new stores get it from 001). */
const evaluationErrorColumn = (target: DdlTarget) => addColumns(target, [ENGINE_TABLES.evaluations, ENGINE_TABLES.status], [ERROR_COLUMN])

/** The ingest watermark columns of the rollup tables (new stores get them from 001). */
const ingestWatermarkColumns = (target: DdlTarget) => [...addColumns(target, [ENGINE_TABLES.rollups], [ROLLUP_INGESTED_TO]), ...addColumns(target, [ENGINE_TABLES.rollupState], STATE_INGEST_COLUMNS)]

export const engineMigrations: Migration[] = [
  createTablesMigration('slo-engine/001_tables', 'SLO definitions, per-minute rollups, rollup state, evaluation history and latest status', engineTables),
  budgetHourlyMigration,
  { id: 'slo-engine/003_evaluation_error', description: 'why an SLO evaluation failed, on the history and status tables', statements: evaluationErrorColumn },
  { id: 'slo-engine/004_ingest_watermark', description: 'the ingest watermark of span and log rollups, on the rollup and rollup state tables', statements: ingestWatermarkColumns },
]
