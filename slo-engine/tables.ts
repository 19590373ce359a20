import { createTablesMigration, type Migration, type TableDef } from '../storage/index.ts'

// Cairn's own tables for the SLO engine.
//
// cairn_slo_definitions is the SLO catalog: one row per change of one SLO
// (source "file" mirrors CAIRN_SLO_DIR, source "api" is managed through the
// API). The current state of an SLO is its latest row by updated_at; readers
// take it with argMax so the answer is right before merges and across shards.

export const ENGINE_TABLES = {
  definitions: 'cairn_slo_definitions',
  rollups: 'cairn_slo_rollups',
  evaluations: 'cairn_slo_evaluations',
} as const

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
      columns: ['slo_id LowCardinality(String)', 'minute DateTime', 'good Float64', 'total Float64', 'definition_hash String', 'computed_at DateTime64(3)'],
      engine: 'ReplacingMergeTree',
      engineArgs: ['computed_at'],
      partitionBy: 'toYYYYMM(minute)',
      orderBy: '(slo_id, minute)',
      shardingKey: 'cityHash64(slo_id)',
    },
    {
      name: ENGINE_TABLES.evaluations,
      columns: [
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
      ],
      engine: 'MergeTree',
      partitionBy: 'toYYYYMM(evaluated_at)',
      orderBy: '(slo_id, evaluated_at)',
      shardingKey: 'cityHash64(slo_id)',
    },
  ]
}

export const engineMigrations: Migration[] = [
  createTablesMigration('slo-engine/001_tables', 'SLO definitions, per-minute rollups and evaluation history', engineTables),
]
