import type { MaterializedViewDef, TableDef } from '../ddl.ts'
import { insertColumns } from './columns.ts'

// The OpenTelemetry Collector ClickHouse exporter's schema: same table names,
// column names, types, codecs, indexes, partitioning and ordering, so that
// Grafana's ClickHouse data source reads cairn's data in its OpenTelemetry mode
// as it reads the exporter's. Only the TTL differs: it is configurable per signal.

export const OTEL_TABLES = {
  traces: 'otel_traces',
  traceIdTs: 'otel_traces_trace_id_ts',
  traceIdTsView: 'otel_traces_trace_id_ts_mv',
  logs: 'otel_logs',
  gauge: 'otel_metrics_gauge',
  sum: 'otel_metrics_sum',
  histogram: 'otel_metrics_histogram',
  exponentialHistogram: 'otel_metrics_exponential_histogram',
  summary: 'otel_metrics_summary',
} as const

export interface TtlDays {
  traces: number
  logs: number
  metrics: number
}

const ttl = (timeExpr: string, days: number) => (days > 0 ? `${timeExpr} + toIntervalDay(${days})` : undefined)

/**
 * Inserts carrying the same insert_deduplication_token as one of a table's
 * last N blocks are skipped: the collector's write-ahead queue replays a
 * segment after a crash without storing it twice (docs/collector.md).
 * Replicated tables keep their own replicated_deduplication_window.
 */
export const DEDUPLICATION_WINDOW = { non_replicated_deduplication_window: 10_000 }

const MERGE_SETTINGS = { index_granularity: 8192, ttl_only_drop_parts: 1, ...DEDUPLICATION_WINDOW }

// Cairn's one addition to the exporter's span and log tables: when a row was
// stored (the ClickHouse server's clock at its INSERT), so that the SLO engine
// reads only the rows stored since its last tick (docs/slo-engine.md, "Ingest
// watermark"). MATERIALIZED: writers never send it, SELECT * never returns it
// (Grafana's OpenTelemetry mode sees the exporter's columns), and the minmax
// index lets a read of "stored since" skip every part written before.
export const INGESTED_AT = {
  column: 'CairnIngestedAt',
  type: 'DateTime64(3)',
  expression: 'now64(3)',
  codec: 'CODEC(ZSTD(1))',
  index: 'idx_cairn_ingested_at',
} as const
/** The column as declared, with its expression (`now64(3)`, or the migration's placeholder for rows stored before it). */
export const ingestedAtDeclaration = (expression: string = INGESTED_AT.expression) => `${INGESTED_AT.column} ${INGESTED_AT.type} MATERIALIZED ${expression} ${INGESTED_AT.codec}`
export const ingestedAtIndex = () => `INDEX ${INGESTED_AT.index} ${INGESTED_AT.column} TYPE minmax GRANULARITY 1`
/** The exporter tables that carry it: those of the SLIs counted from the rows stored since the last tick. */
export const INGEST_WATERMARKED_TABLES = [OTEL_TABLES.traces, OTEL_TABLES.logs] as const

const attributeIndexes = (column: string, name: string) => [
  `INDEX idx_${name}_key mapKeys(${column}) TYPE bloom_filter(0.01) GRANULARITY 1`,
  `INDEX idx_${name}_value mapValues(${column}) TYPE bloom_filter(0.01) GRANULARITY 1`,
]

function tracesTable(days: number): TableDef {
  return {
    name: OTEL_TABLES.traces,
    columns: [
      'Timestamp DateTime64(9) CODEC(Delta(8), ZSTD(1))',
      'TraceId String CODEC(ZSTD(1))',
      'SpanId String CODEC(ZSTD(1))',
      'ParentSpanId String CODEC(ZSTD(1))',
      'TraceState String CODEC(ZSTD(1))',
      'SpanName LowCardinality(String) CODEC(ZSTD(1))',
      'SpanKind LowCardinality(String) CODEC(ZSTD(1))',
      'ServiceName LowCardinality(String) CODEC(ZSTD(1))',
      'ResourceAttributes Map(LowCardinality(String), String) CODEC(ZSTD(1))',
      'ScopeName String CODEC(ZSTD(1))',
      'ScopeVersion String CODEC(ZSTD(1))',
      'SpanAttributes Map(LowCardinality(String), String) CODEC(ZSTD(1))',
      'Duration UInt64 CODEC(T64, ZSTD(1))',
      'StatusCode LowCardinality(String) CODEC(ZSTD(1))',
      'StatusMessage String CODEC(ZSTD(1))',
      'Events Nested (Timestamp DateTime64(9), Name LowCardinality(String), Attributes Map(LowCardinality(String), String)) CODEC(ZSTD(1))',
      'Links Nested (TraceId String, SpanId String, TraceState String, Attributes Map(LowCardinality(String), String)) CODEC(ZSTD(1))',
      "ResourceAttributeItems Array(String) ALIAS arrayMap(kv -> concat(kv.1, '=', kv.2), CAST(ResourceAttributes, 'Array(Tuple(String, String))'))",
      "SpanAttributeItems Array(String) ALIAS arrayMap(kv -> concat(kv.1, '=', kv.2), CAST(SpanAttributes, 'Array(Tuple(String, String))'))",
      ingestedAtDeclaration(),
    ],
    indexes: [
      'INDEX idx_trace_id TraceId TYPE bloom_filter(0.001) GRANULARITY 1',
      ...attributeIndexes('ResourceAttributes', 'res_attr'),
      ...attributeIndexes('SpanAttributes', 'span_attr'),
      'INDEX idx_duration Duration TYPE minmax GRANULARITY 1',
      'INDEX idx_lower_span_name lower(SpanName) TYPE tokenbf_v1(32768, 3, 0) GRANULARITY 8',
      ingestedAtIndex(),
    ],
    engine: 'MergeTree',
    partitionBy: 'toDate(Timestamp)',
    primaryKey: '(ServiceName, SpanName, toDateTime(Timestamp))',
    orderBy: '(ServiceName, SpanName, toDateTime(Timestamp), Timestamp)',
    ttl: ttl('toDateTime(Timestamp)', days),
    settings: MERGE_SETTINGS,
    shardingKey: 'cityHash64(TraceId)',
  }
}

function traceIdTsTable(days: number): TableDef {
  return {
    name: OTEL_TABLES.traceIdTs,
    columns: [
      'TraceId String CODEC(ZSTD(1))',
      'Start DateTime CODEC(Delta, ZSTD(1))',
      'End DateTime CODEC(Delta, ZSTD(1))',
    ],
    indexes: ['INDEX idx_trace_id TraceId TYPE bloom_filter(0.01) GRANULARITY 1'],
    engine: 'MergeTree',
    partitionBy: 'toDate(Start)',
    orderBy: '(TraceId, Start)',
    ttl: ttl('toDateTime(Start)', days),
    settings: MERGE_SETTINGS,
    shardingKey: 'cityHash64(TraceId)',
  }
}

export const traceIdTsView: MaterializedViewDef = {
  name: OTEL_TABLES.traceIdTsView,
  to: OTEL_TABLES.traceIdTs,
  from: OTEL_TABLES.traces,
  select: "SELECT TraceId, min(Timestamp) AS Start, max(Timestamp) AS End FROM {from} WHERE TraceId != '' GROUP BY TraceId",
}

function logsTable(days: number): TableDef {
  return {
    name: OTEL_TABLES.logs,
    columns: [
      'Timestamp DateTime64(9) CODEC(Delta(8), ZSTD(1))',
      'TimestampTime DateTime DEFAULT toDateTime(Timestamp)',
      'TraceId String CODEC(ZSTD(1))',
      'SpanId String CODEC(ZSTD(1))',
      'TraceFlags UInt8',
      'SeverityText LowCardinality(String) CODEC(ZSTD(1))',
      'SeverityNumber UInt8',
      'ServiceName LowCardinality(String) CODEC(ZSTD(1))',
      'Body String CODEC(ZSTD(1))',
      'ResourceSchemaUrl LowCardinality(String) CODEC(ZSTD(1))',
      'ResourceAttributes Map(LowCardinality(String), String) CODEC(ZSTD(1))',
      'ScopeSchemaUrl LowCardinality(String) CODEC(ZSTD(1))',
      'ScopeName String CODEC(ZSTD(1))',
      'ScopeVersion LowCardinality(String) CODEC(ZSTD(1))',
      'ScopeAttributes Map(LowCardinality(String), String) CODEC(ZSTD(1))',
      'LogAttributes Map(LowCardinality(String), String) CODEC(ZSTD(1))',
      'EventName String CODEC(ZSTD(1))',
      ingestedAtDeclaration(),
    ],
    indexes: [
      'INDEX idx_trace_id TraceId TYPE bloom_filter(0.001) GRANULARITY 1',
      ...attributeIndexes('ResourceAttributes', 'res_attr'),
      ...attributeIndexes('ScopeAttributes', 'scope_attr'),
      ...attributeIndexes('LogAttributes', 'log_attr'),
      'INDEX idx_body Body TYPE tokenbf_v1(32768, 3, 0) GRANULARITY 8',
      ingestedAtIndex(),
    ],
    engine: 'MergeTree',
    partitionBy: 'toDate(TimestampTime)',
    primaryKey: '(ServiceName, TimestampTime)',
    orderBy: '(ServiceName, TimestampTime, Timestamp)',
    ttl: ttl('TimestampTime', days),
    settings: MERGE_SETTINGS,
  }
}

// Columns every metrics table starts with, in the exporter's order.
const METRIC_HEAD = [
  'ResourceAttributes Map(LowCardinality(String), String) CODEC(ZSTD(1))',
  'ResourceSchemaUrl String CODEC(ZSTD(1))',
  'ScopeName String CODEC(ZSTD(1))',
  'ScopeVersion String CODEC(ZSTD(1))',
  'ScopeAttributes Map(LowCardinality(String), String) CODEC(ZSTD(1))',
  'ScopeDroppedAttrCount UInt32 CODEC(ZSTD(1))',
  'ScopeSchemaUrl String CODEC(ZSTD(1))',
  'ServiceName LowCardinality(String) CODEC(ZSTD(1))',
  'MetricName String CODEC(ZSTD(1))',
  'MetricDescription String CODEC(ZSTD(1))',
  'MetricUnit String CODEC(ZSTD(1))',
  'Attributes Map(LowCardinality(String), String) CODEC(ZSTD(1))',
  'StartTimeUnix DateTime64(9) CODEC(Delta, ZSTD(1))',
  'TimeUnix DateTime64(9) CODEC(Delta, ZSTD(1))',
]

const EXEMPLARS =
  'Exemplars Nested (FilteredAttributes Map(LowCardinality(String), String), TimeUnix DateTime64(9), Value Float64, SpanId String, TraceId String) CODEC(ZSTD(1))'

function metricsTable(name: string, columns: string[], days: number): TableDef {
  return {
    name,
    columns: [...METRIC_HEAD, ...columns],
    indexes: [
      ...attributeIndexes('ResourceAttributes', 'res_attr'),
      ...attributeIndexes('ScopeAttributes', 'scope_attr'),
      ...attributeIndexes('Attributes', 'attr'),
    ],
    engine: 'MergeTree',
    partitionBy: 'toDate(TimeUnix)',
    orderBy: '(ServiceName, MetricName, Attributes, toUnixTimestamp64Nano(TimeUnix))',
    ttl: ttl('toDateTime(TimeUnix)', days),
    settings: MERGE_SETTINGS,
  }
}

/** Every telemetry table, in creation order (the view's source and target first). */
export function otelTables(ttlDays: TtlDays): TableDef[] {
  const m = ttlDays.metrics
  return [
    tracesTable(ttlDays.traces),
    traceIdTsTable(ttlDays.traces),
    logsTable(ttlDays.logs),
    metricsTable(OTEL_TABLES.gauge, ['Value Float64 CODEC(ZSTD(1))', 'Flags UInt32 CODEC(ZSTD(1))', EXEMPLARS], m),
    metricsTable(
      OTEL_TABLES.sum,
      [
        'Value Float64 CODEC(ZSTD(1))',
        'Flags UInt32 CODEC(ZSTD(1))',
        EXEMPLARS,
        'AggregationTemporality Int32 CODEC(ZSTD(1))',
        'IsMonotonic Boolean CODEC(Delta, ZSTD(1))',
      ],
      m,
    ),
    metricsTable(
      OTEL_TABLES.histogram,
      [
        'Count UInt64 CODEC(Delta, ZSTD(1))',
        'Sum Float64 CODEC(ZSTD(1))',
        'BucketCounts Array(UInt64) CODEC(ZSTD(1))',
        'ExplicitBounds Array(Float64) CODEC(ZSTD(1))',
        EXEMPLARS,
        'Flags UInt32 CODEC(ZSTD(1))',
        'Min Float64 CODEC(ZSTD(1))',
        'Max Float64 CODEC(ZSTD(1))',
        'AggregationTemporality Int32 CODEC(ZSTD(1))',
      ],
      m,
    ),
    metricsTable(
      OTEL_TABLES.exponentialHistogram,
      [
        'Count UInt64 CODEC(Delta, ZSTD(1))',
        'Sum Float64 CODEC(ZSTD(1))',
        'Scale Int32 CODEC(ZSTD(1))',
        'ZeroCount UInt64 CODEC(ZSTD(1))',
        'PositiveOffset Int32 CODEC(ZSTD(1))',
        'PositiveBucketCounts Array(UInt64) CODEC(ZSTD(1))',
        'NegativeOffset Int32 CODEC(ZSTD(1))',
        'NegativeBucketCounts Array(UInt64) CODEC(ZSTD(1))',
        EXEMPLARS,
        'Flags UInt32 CODEC(ZSTD(1))',
        'Min Float64 CODEC(ZSTD(1))',
        'Max Float64 CODEC(ZSTD(1))',
        'AggregationTemporality Int32 CODEC(ZSTD(1))',
      ],
      m,
    ),
    metricsTable(
      OTEL_TABLES.summary,
      [
        'Count UInt64 CODEC(Delta, ZSTD(1))',
        'Sum Float64 CODEC(ZSTD(1))',
        'ValueAtQuantiles Nested (Quantile Float64, Value Float64) CODEC(ZSTD(1))',
        'Flags UInt32 CODEC(ZSTD(1))',
      ],
      m,
    ),
  ]
}

/** The table definition of an exporter table (its columns and keys; TTLs aside). */
export function otelTable(name: string): TableDef {
  const table = otelTables({ traces: 0, logs: 0, metrics: 0 }).find((t) => t.name === name)
  if (!table) throw new Error(`no exporter table ${name}`)
  return table
}

/** The columns an INSERT into an exporter table writes, in its order ("Name Type", see insertColumns). */
export function otelInsertColumns(name: string): string[] {
  return insertColumns(otelTable(name))
}
