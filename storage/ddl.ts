// Tables are described as data and rendered to DDL for one of two layouts:
// - single node: `CREATE TABLE name … ENGINE = <Kind>MergeTree`;
// - cluster: a `name_local` Replicated table on every node plus a Distributed
//   table called `name` over them, so readers and writers keep using `name`.

export type MergeTreeKind = 'MergeTree' | 'ReplacingMergeTree' | 'AggregatingMergeTree' | 'SummingMergeTree'

export interface TableDef {
  name: string
  /** Full column definitions, e.g. "Timestamp DateTime64(9) CODEC(Delta(8), ZSTD(1))". */
  columns: readonly string[]
  /** Data-skipping index definitions, e.g. "INDEX idx_trace_id TraceId TYPE bloom_filter(0.001) GRANULARITY 1". */
  indexes?: readonly string[]
  engine: MergeTreeKind
  /** Engine arguments after the replication ones, e.g. the version column of ReplacingMergeTree. */
  engineArgs?: readonly string[]
  partitionBy?: string
  primaryKey?: string
  orderBy: string
  /** TTL expression without the TTL keyword; omitted when data is kept forever. */
  ttl?: string
  settings?: Readonly<Record<string, string | number>>
  /** Distributed sharding key in cluster mode (default rand()). */
  shardingKey?: string
}

export interface MaterializedViewDef {
  name: string
  /** Target table (a TableDef name). */
  to: string
  /** Source table (a TableDef name). */
  from: string
  /** SELECT over the source, with `{from}` standing for the source table. */
  select: string
}

export interface DdlTarget {
  database: string
  cluster: string | undefined
}

const q = (name: string) => `\`${name}\``

export function localTableName(name: string, target: DdlTarget): string {
  return target.cluster ? `${name}_local` : name
}

function onCluster(target: DdlTarget): string {
  return target.cluster ? ` ON CLUSTER ${q(target.cluster)}` : ''
}

function engineClause(def: TableDef, target: DdlTarget): string {
  const args = [...(def.engineArgs ?? [])]
  if (!target.cluster) return `${def.engine}${args.length ? `(${args.join(', ')})` : ''}`
  const replication = [`'/clickhouse/tables/{shard}/{database}/{table}'`, `'{replica}'`]
  return `Replicated${def.engine}(${[...replication, ...args].join(', ')})`
}

/** The statements that create `def` (one on a single node, two on a cluster). */
export function createTableStatements(def: TableDef, target: DdlTarget): string[] {
  const local = localTableName(def.name, target)
  const body = [...def.columns, ...(def.indexes ?? [])].map((line) => `    ${line}`).join(',\n')
  const clauses = [
    `ENGINE = ${engineClause(def, target)}`,
    def.partitionBy && `PARTITION BY ${def.partitionBy}`,
    def.primaryKey && `PRIMARY KEY ${def.primaryKey}`,
    `ORDER BY ${def.orderBy}`,
    def.ttl && `TTL ${def.ttl}`,
    def.settings && `SETTINGS ${Object.entries(def.settings).map(([k, v]) => `${k} = ${v}`).join(', ')}`,
  ].filter(Boolean)
  const statements = [`CREATE TABLE IF NOT EXISTS ${q(local)}${onCluster(target)} (\n${body}\n)\n${clauses.join('\n')}`]
  if (target.cluster) {
    statements.push(
      `CREATE TABLE IF NOT EXISTS ${q(def.name)}${onCluster(target)} AS ${q(local)}\n` +
        `ENGINE = Distributed(${q(target.cluster)}, ${q(target.database)}, ${q(local)}, ${def.shardingKey ?? 'rand()'})`,
    )
  }
  return statements
}

/** A materialized view from the local source to the local target (per node on a cluster). */
export function createMaterializedViewStatement(def: MaterializedViewDef, target: DdlTarget): string {
  const select = def.select.replaceAll('{from}', q(localTableName(def.from, target)))
  return `CREATE MATERIALIZED VIEW IF NOT EXISTS ${q(def.name)}${onCluster(target)} TO ${q(localTableName(def.to, target))}\nAS ${select}`
}

/** `ALTER TABLE … MODIFY TTL` (or REMOVE TTL) on the table that holds the data. */
export function alterTtlStatement(def: TableDef, target: DdlTarget): string {
  const table = `${q(localTableName(def.name, target))}${onCluster(target)}`
  return def.ttl ? `ALTER TABLE ${table} MODIFY TTL ${def.ttl}` : `ALTER TABLE ${table} REMOVE TTL`
}
