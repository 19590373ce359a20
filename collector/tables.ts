// Ingest tables: spans and log records arrive one row per resource+scope group,
// with each item's fields in parallel arrays, into a Null table whose
// materialized view expands them (ARRAY JOIN) into the exporter's tables. The
// engine then parses a group's resource and scope attributes once instead of
// once per item, and inserting becomes about half as expensive for it
// (measured: bench/ingest). The rows land in otel_traces and otel_logs
// exactly as a row-per-item insert would put them. On a cluster the view
// writes into the Distributed table, which shards as usual.

import { OTEL_TABLES, quoteIdentifier, rowBinary, type DdlTarget, type Migration, type RowBinaryFormat } from '../storage/index.ts'

export const INGEST_TABLES = {
  traces: 'cairn_ingest_traces',
  logs: 'cairn_ingest_logs',
} as const

const MAP = 'Map(String, String)'

const TRACES_COLUMNS = [
  'ServiceName String',
  `ResourceAttributes ${MAP}`,
  'ScopeName String',
  'ScopeVersion String',
  'Timestamps Array(DateTime64(9))',
  'TraceIds Array(String)',
  'SpanIds Array(String)',
  'ParentSpanIds Array(String)',
  'TraceStates Array(String)',
  'SpanNames Array(String)',
  'SpanKinds Array(String)',
  `SpanAttributeMaps Array(${MAP})`,
  'Durations Array(UInt64)',
  'StatusCodes Array(String)',
  'StatusMessages Array(String)',
  'EventTimestamps Array(Array(DateTime64(9)))',
  'EventNames Array(Array(String))',
  `EventAttributes Array(Array(${MAP}))`,
  'LinkTraceIds Array(Array(String))',
  'LinkSpanIds Array(Array(String))',
  'LinkTraceStates Array(Array(String))',
  `LinkAttributes Array(Array(${MAP}))`,
]

/** Columns of the group, before the item arrays. */
const TRACES_HEAD_COLUMNS = 4

const TRACES_SELECT = `SELECT
  Timestamps AS Timestamp, TraceIds AS TraceId, SpanIds AS SpanId, ParentSpanIds AS ParentSpanId, TraceStates AS TraceState,
  SpanNames AS SpanName, SpanKinds AS SpanKind, ServiceName, ResourceAttributes, ScopeName, ScopeVersion,
  SpanAttributeMaps AS SpanAttributes, Durations AS Duration, StatusCodes AS StatusCode, StatusMessages AS StatusMessage,
  EventTimestamps AS \`Events.Timestamp\`, EventNames AS \`Events.Name\`, EventAttributes AS \`Events.Attributes\`,
  LinkTraceIds AS \`Links.TraceId\`, LinkSpanIds AS \`Links.SpanId\`, LinkTraceStates AS \`Links.TraceState\`, LinkAttributes AS \`Links.Attributes\`
FROM {from}
ARRAY JOIN Timestamps, TraceIds, SpanIds, ParentSpanIds, TraceStates, SpanNames, SpanKinds, SpanAttributeMaps, Durations,
  StatusCodes, StatusMessages, EventTimestamps, EventNames, EventAttributes, LinkTraceIds, LinkSpanIds, LinkTraceStates, LinkAttributes`

const LOGS_COLUMNS = [
  'ServiceName String',
  'ResourceSchemaUrl String',
  `ResourceAttributes ${MAP}`,
  'ScopeSchemaUrl String',
  'ScopeName String',
  'ScopeVersion String',
  `ScopeAttributes ${MAP}`,
  'Timestamps Array(DateTime64(9))',
  'TraceIds Array(String)',
  'SpanIds Array(String)',
  'TraceFlagsList Array(UInt8)',
  'SeverityTexts Array(String)',
  'SeverityNumbers Array(UInt8)',
  'Bodies Array(String)',
  `LogAttributeMaps Array(${MAP})`,
  'EventNames Array(String)',
]

const LOGS_HEAD_COLUMNS = 7

// TimestampTime is left to its DEFAULT (toDateTime(Timestamp)).
const LOGS_SELECT = `SELECT
  Timestamps AS Timestamp, TraceIds AS TraceId, SpanIds AS SpanId, TraceFlagsList AS TraceFlags, SeverityTexts AS SeverityText,
  SeverityNumbers AS SeverityNumber, ServiceName, Bodies AS Body, ResourceSchemaUrl, ResourceAttributes, ScopeSchemaUrl,
  ScopeName, ScopeVersion, ScopeAttributes, LogAttributeMaps AS LogAttributes, EventNames AS EventName
FROM {from}
ARRAY JOIN Timestamps, TraceIds, SpanIds, TraceFlagsList, SeverityTexts, SeverityNumbers, Bodies, LogAttributeMaps, EventNames`

function ingestStatements(name: string, columns: string[], target: string, select: string, t: DdlTarget): string[] {
  const onCluster = t.cluster ? ` ON CLUSTER ${quoteIdentifier(t.cluster)}` : ''
  return [
    `CREATE TABLE IF NOT EXISTS ${quoteIdentifier(name)}${onCluster} (\n    ${columns.join(',\n    ')}\n) ENGINE = Null`,
    `CREATE MATERIALIZED VIEW IF NOT EXISTS ${quoteIdentifier(`${name}_mv`)}${onCluster} TO ${quoteIdentifier(target)}\nAS ${select.replace('{from}', quoteIdentifier(name))}`,
  ]
}

/** RowBinary value of a column for an item that does not set it: 0 for numbers and times, empty otherwise (a 0 length or count). */
function itemDefaults(columns: string[], head: number): Buffer[] {
  return columns.slice(head).map((c) => (/^\S+ Array\((DateTime64|U?Int64)/.test(c) ? Buffer.alloc(8) : /^\S+ Array\(U?Int8\)/.test(c) ? Buffer.alloc(1) : Buffer.from([0])))
}

export const TRACE_ITEM_DEFAULTS = itemDefaults(TRACES_COLUMNS, TRACES_HEAD_COLUMNS)
export const LOG_ITEM_DEFAULTS = itemDefaults(LOGS_COLUMNS, LOGS_HEAD_COLUMNS)

// ---- metric tables: one RowBinary row per data point, straight into the exporter's tables ----

/** The 14 columns every metric table starts with (the exporter's types, codecs left to the table). */
const METRIC_HEAD_COLUMNS = [
  'ResourceAttributes Map(LowCardinality(String), String)',
  'ResourceSchemaUrl String',
  'ScopeName String',
  'ScopeVersion String',
  'ScopeAttributes Map(LowCardinality(String), String)',
  'ScopeDroppedAttrCount UInt32',
  'ScopeSchemaUrl String',
  'ServiceName LowCardinality(String)',
  'MetricName String',
  'MetricDescription String',
  'MetricUnit String',
  'Attributes Map(LowCardinality(String), String)',
  'StartTimeUnix DateTime64(9)',
  'TimeUnix DateTime64(9)',
]

const EXEMPLAR_COLUMNS = [
  'Exemplars.FilteredAttributes Array(Map(LowCardinality(String), String))',
  'Exemplars.TimeUnix Array(DateTime64(9))',
  'Exemplars.Value Array(Float64)',
  'Exemplars.SpanId Array(String)',
  'Exemplars.TraceId Array(String)',
]

const HISTOGRAM_TAIL = [...EXEMPLAR_COLUMNS, 'Flags UInt32', 'Min Float64', 'Max Float64', 'AggregationTemporality Int32']

/** Columns of each metric table in the order collector/otlp/metric-points.ts writes them. */
export const METRIC_COLUMNS = {
  [OTEL_TABLES.gauge]: [...METRIC_HEAD_COLUMNS, 'Value Float64', 'Flags UInt32', ...EXEMPLAR_COLUMNS],
  [OTEL_TABLES.sum]: [...METRIC_HEAD_COLUMNS, 'Value Float64', 'Flags UInt32', ...EXEMPLAR_COLUMNS, 'AggregationTemporality Int32', 'IsMonotonic Bool'],
  [OTEL_TABLES.histogram]: [...METRIC_HEAD_COLUMNS, 'Count UInt64', 'Sum Float64', 'BucketCounts Array(UInt64)', 'ExplicitBounds Array(Float64)', ...HISTOGRAM_TAIL],
  [OTEL_TABLES.exponentialHistogram]: [
    ...METRIC_HEAD_COLUMNS,
    'Count UInt64',
    'Sum Float64',
    'Scale Int32',
    'ZeroCount UInt64',
    'PositiveOffset Int32',
    'PositiveBucketCounts Array(UInt64)',
    'NegativeOffset Int32',
    'NegativeBucketCounts Array(UInt64)',
    ...HISTOGRAM_TAIL,
  ],
  [OTEL_TABLES.summary]: [...METRIC_HEAD_COLUMNS, 'Count UInt64', 'Sum Float64', 'ValueAtQuantiles.Quantile Array(Float64)', 'ValueAtQuantiles.Value Array(Float64)', 'Flags UInt32'],
}

const METRIC_FORMATS = Object.entries(METRIC_COLUMNS).map(([table, columns]) => [table, rowBinary(columns)] as const)

/** The RowBinary columns of each table the collector inserts into, in the order its rows are encoded. */
export const INSERT_FORMATS: ReadonlyMap<string, RowBinaryFormat> = new Map([
  [INGEST_TABLES.traces, rowBinary(TRACES_COLUMNS)],
  [INGEST_TABLES.logs, rowBinary(LOGS_COLUMNS)],
  ...METRIC_FORMATS,
])

/** The format of a table's rows; a table without one is a bug, not a payload to guess at. */
export function insertFormat(table: string): RowBinaryFormat {
  const format = INSERT_FORMATS.get(table)
  if (!format) throw new Error(`the collector has no row format for table ${table}`)
  return format
}

export const collectorMigrations: Migration[] = [
  {
    id: 'collector/001_ingest_tables',
    description: 'Null ingest tables for spans and log records, expanded into otel_traces and otel_logs by materialized views',
    statements: (t) => [
      ...ingestStatements(INGEST_TABLES.traces, TRACES_COLUMNS, OTEL_TABLES.traces, TRACES_SELECT, t),
      ...ingestStatements(INGEST_TABLES.logs, LOGS_COLUMNS, OTEL_TABLES.logs, LOGS_SELECT, t),
    ],
  },
]
