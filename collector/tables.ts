// Ingest tables: spans and log records arrive one row per resource+scope group,
// with each item's fields in parallel arrays, into a Null table whose
// materialized view expands them (ARRAY JOIN) into the exporter's tables. The
// engine then parses a group's resource and scope attributes once instead of
// once per item, and inserting becomes about half as expensive for it
// (measured: bench/ingest). The rows land in otel_traces and otel_logs
// exactly as a row-per-item insert would put them. On a cluster the view
// writes into the Distributed table, which shards as usual.

import { OTEL_TABLES, otelInsertColumns, parseColumn, plainType, quoteIdentifier, rowBinary, type Column, type DdlTarget, type Migration, type RowBinaryFormat } from '../storage/index.ts'

export const INGEST_TABLES = {
  traces: 'cairn_ingest_traces',
  logs: 'cairn_ingest_logs',
} as const

/**
 * A grouped ingest table, derived from its exporter table (storage/schema):
 * the group's columns, then every other column the exporter's table is written
 * with, in its order, as an Array of the group's items (LowCardinality left to
 * the target). A Nested subcolumn `Events.Name` is the item column
 * `Events_Name`. Item positions (what the decoders write into) follow.
 */
export interface GroupedTable {
  name: string
  target: string
  /** DDL of the ingest table's columns. */
  columns: string[]
  /** The view's SELECT from the ingest table (`{from}`), one target row per item. */
  select: string
  /** Item columns by target column name: their position among the item columns. */
  items: Readonly<Record<string, number>>
  /** RowBinary value of each item column for an item that does not set it. */
  itemDefaults: Buffer[]
}

const ingestName = (c: Column) => c.name.replace(/\./g, '_')

function groupedTable(name: string, target: string, groupColumns: readonly string[]): GroupedTable {
  const all = otelInsertColumns(target).map(parseColumn)
  for (const g of groupColumns) if (!all.some((c) => c.name === g)) throw new Error(`${target} has no column ${g}`)
  const group = all.filter((c) => groupColumns.includes(c.name))
  const items = all.filter((c) => !groupColumns.includes(c.name))
  const selected = all.map((c) => (ingestName(c) === c.name ? quoteIdentifier(c.name) : `${quoteIdentifier(ingestName(c))} AS \`${c.name}\``))
  return {
    name,
    target,
    columns: [...group.map((c) => `${c.name} ${plainType(c.type)}`), ...items.map((c) => `${ingestName(c)} Array(${plainType(c.type)})`)],
    select: `SELECT ${selected.join(', ')}\nFROM {from}\nARRAY JOIN ${items.map((c) => quoteIdentifier(ingestName(c))).join(', ')}`,
    items: Object.fromEntries(items.map((c, i) => [c.name, i])),
    itemDefaults: items.map((c) => zeroValue(plainType(c.type))),
  }
}

/** RowBinary of a type's zero: 0 for numbers and times, empty for strings, arrays and maps (a 0 length or count). */
function zeroValue(type: string): Buffer {
  if (/^(String|Array\(|Map\()/.test(type)) return Buffer.from([0])
  const size = /^(DateTime64|U?Int64|Float64)\b/.test(type) ? 8 : /^(U?Int32|Float32)\b/.test(type) ? 4 : /^(U?Int8|Bool)\b/.test(type) ? 1 : 0
  if (size === 0) throw new Error(`no zero value for an item of type ${type}`)
  return Buffer.alloc(size)
}

/** Spans: one row per resource+scope group. */
export const TRACES_INGEST = groupedTable(INGEST_TABLES.traces, OTEL_TABLES.traces, ['ServiceName', 'ResourceAttributes', 'ScopeName', 'ScopeVersion'])
/** Log records: one row per resource+scope group. */
export const LOGS_INGEST = groupedTable(INGEST_TABLES.logs, OTEL_TABLES.logs, [
  'ServiceName',
  'ResourceSchemaUrl',
  'ResourceAttributes',
  'ScopeSchemaUrl',
  'ScopeName',
  'ScopeVersion',
  'ScopeAttributes',
])

/** Positions of `names`' item columns, under the decoder's own keys. */
export function itemPositions<K extends string>(table: GroupedTable, names: Record<K, string>): Record<K, number> {
  return Object.fromEntries(
    Object.entries<string>(names).map(([key, column]) => {
      const i = table.items[column]
      if (i === undefined) throw new Error(`${table.name} has no item column for ${column}`)
      return [key, i]
    }),
  ) as Record<K, number>
}

function ingestStatements(t: GroupedTable, target: DdlTarget): string[] {
  const onCluster = target.cluster ? ` ON CLUSTER ${quoteIdentifier(target.cluster)}` : ''
  return [
    `CREATE TABLE IF NOT EXISTS ${quoteIdentifier(t.name)}${onCluster} (\n    ${t.columns.join(',\n    ')}\n) ENGINE = Null`,
    `CREATE MATERIALIZED VIEW IF NOT EXISTS ${quoteIdentifier(`${t.name}_mv`)}${onCluster} TO ${quoteIdentifier(t.target)}\nAS ${t.select.replace('{from}', quoteIdentifier(t.name))}`,
  ]
}

/** Drops an ingest table and its view: a Null table holds no rows, so nothing is lost. */
function dropStatements(t: GroupedTable, target: DdlTarget): string[] {
  const onCluster = target.cluster ? ` ON CLUSTER ${quoteIdentifier(target.cluster)}` : ''
  return [`DROP VIEW IF EXISTS ${quoteIdentifier(`${t.name}_mv`)}${onCluster} SYNC`, `DROP TABLE IF EXISTS ${quoteIdentifier(t.name)}${onCluster} SYNC`]
}

// ---- metric tables: one RowBinary row per data point, straight into the exporter's tables ----

/** Columns of each metric table, in the order collector/otlp/metric-points.ts writes them: the exporter table's own. */
export const METRIC_COLUMNS = Object.fromEntries(
  [OTEL_TABLES.gauge, OTEL_TABLES.sum, OTEL_TABLES.histogram, OTEL_TABLES.exponentialHistogram, OTEL_TABLES.summary].map((t) => [t, otelInsertColumns(t)]),
)

const METRIC_FORMATS = Object.entries(METRIC_COLUMNS).map(([table, columns]) => [table, rowBinary(columns)] as const)

/** The RowBinary columns of each table the collector inserts into, in the order its rows are encoded. */
export const INSERT_FORMATS: ReadonlyMap<string, RowBinaryFormat> = new Map([
  [INGEST_TABLES.traces, rowBinary(TRACES_INGEST.columns)],
  [INGEST_TABLES.logs, rowBinary(LOGS_INGEST.columns)],
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
    statements: (t) => [...ingestStatements(TRACES_INGEST, t), ...ingestStatements(LOGS_INGEST, t)],
  },
  {
    // The first ingest tables had hand-written plural column names (Timestamps,
    // SpanAttributeMaps…); these are derived from the exporter's tables. A
    // collector inserting while the tables are swapped has its write refused,
    // so it acknowledges nothing and the sender retries.
    id: 'collector/002_ingest_tables_derived',
    description: 'ingest tables re-created with columns derived from otel_traces and otel_logs',
    statements: (t) => [TRACES_INGEST, LOGS_INGEST].flatMap((table) => [...dropStatements(table, t), ...ingestStatements(table, t)]),
  },
]
