import { createTablesMigration, type Migration, type TableDef } from '../storage/index.ts'

// Cairn's own tables for the SLO engine. The SLO engine issue defines their final shape.

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
        'definition String',
        'definition_hash String',
        'updated_at DateTime64(3)',
        'deleted UInt8',
      ],
      engine: 'ReplacingMergeTree',
      engineArgs: ['updated_at'],
      orderBy: 'slo_id',
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
