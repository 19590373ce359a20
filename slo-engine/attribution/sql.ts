import { OTEL_TABLES, type QueryParams } from '../../storage/index.ts'
import type { LogsSli, SpansSli } from '../model.ts'
import { planRollups, type Condition } from '../sli/plan.ts'
import { atomsExpression, LOG_VALS_SQL, logValsParams, overVals, SPAN_IS_ERROR_SQL, SPAN_VALS_SQL, spanSlowerSql, spanValsParams, type Statement, type TimeRange } from '../sli/queries.ts'
import type { Slo } from '../model.ts'

// The SQL of attribution for one SLO. The SLO's good/bad predicate is the
// engine's own: the SLO is compiled by planRollups into atoms and Conditions
// (slo-engine/sli/plan.ts), its atoms are evaluated by the rollup's atom SQL
// (sli/queries.ts), and a Condition holds when all its `require` atoms hold
// and none of its `forbid` atoms do: the SQL form of match.ts's holds().
// Nothing about the SLI (services, span names, attributes, regexes, the
// latency threshold, the severity) is written here.
//
// Both statements group the raw rows first by the atom fields and the
// dimension values (few groups however many rows), then evaluate the atoms
// once per group, as the rollup does.

/** Example trace ids (or log records) kept per value. A literal: aggregate parameters cannot be bound. */
export const MAX_EXAMPLES = 5

/** The table atoms (1-based in SQL) and Body atoms as the references of plan.ts: table atom i → i-1, Body atom j → -j. */
const refsSql = (atoms: string, body?: string) =>
  body === undefined ? `arrayMap(a -> toInt64(a) - 1, ${atoms})` : `arrayConcat(arrayMap(a -> toInt64(a) - 1, ${atoms}), arrayMap(b -> -toInt64(b), ${body}))`

/** A Condition over `refs`, its atom lists bound as `<name>_require` / `<name>_forbid`. */
function holdsSql(name: string, cond: Condition, params: QueryParams): string {
  params[`${name}_require`] = cond.require
  params[`${name}_forbid`] = cond.forbid
  return `(hasAll(refs, {${name}_require:Array(Int64)}) AND NOT hasAny(refs, {${name}_forbid:Array(Int64)}))`
}

/**
 * The dimensions' values on a row, as columns d0, d1, …: the span (or log)
 * attribute, else the resource attribute ('' counts as not set). One
 * expression per key (bound as dim_<i>): a lambda over the keys would copy
 * both maps once per key and row, and grouping by separate columns is many
 * times cheaper than by one array.
 */
const dimColumns = (count: number) => Array.from({ length: count }, (_, i) => `d${i}`)

/** Where a dimension's values are read: the span (or log) attributes, the resource attributes, or the first of both that has it. */
export type KeyOrigin = 'own' | 'resource' | 'both'
export interface DimensionKey {
  key: string
  origin: KeyOrigin
}

function dimSql(map: string, i: number, origin: KeyOrigin): string {
  const own = `${map}[{dim_${i}:String}]`
  const resource = `ResourceAttributes[{dim_${i}:String}]`
  // One map lookup per row costs as much as the rest of the read: read one map when the key is known to live there.
  return origin === 'own' ? own : origin === 'resource' ? resource : `if(${own} != '', ${own}, ${resource})`
}
/** The dimension columns; empty without keys (no bad events, nothing found: the totals are still read). */
const dimsSql = (map: string, keys: readonly DimensionKey[]) => keys.map((k, i) => `${dimSql(map, i, k.origin)} AS d${i}`).join(', ')
const RANGE_WHERE = 'Timestamp >= fromUnixTimestamp64Milli({from_ms:Int64}) AND Timestamp < fromUnixTimestamp64Milli({to_ms:Int64})'
/** otel_logs is partitioned and sorted on TimestampTime (seconds): bounding it too lets ClickHouse skip parts and granules. */
const LOG_RANGE_WHERE = `${RANGE_WHERE} AND TimestampTime >= toDateTime(intDiv({from_ms:Int64}, 1000)) AND TimestampTime <= toDateTime(intDiv({to_ms:Int64}, 1000))`

export interface AttributionRange {
  fromMs: number
  toMs: number
}

/** How each SLI kind reads its table; built once per request from the SLO's plan. */
interface Source {
  table: string
  rangeWhere: string
  /** SQL of the atom fields (sli/queries.ts). */
  vals: string
  /** SQL of the attribute map besides ResourceAttributes. */
  map: string
  /** Columns grouped on besides vals and dims (logs: Body atoms, severity). */
  groupSql: string
  groupNames: string
  /** SQL of refs over the grouped columns. */
  refs: string
  /** Prefilter on raw rows that every bad row passes ('1' when none). */
  badRowSql: string
  /** SQL over a group: the SLO's condition holds. */
  matchSql: string
  /** SQL over a group: its rows are bad. */
  badSql: string
  /** SQL of one example, over a raw row. */
  exampleSql: string
  params: QueryParams
}

function spanSource(slo: Slo & { sli: SpansSli }): Source {
  const plan = planRollups([slo]).traces
  const sp = plan.slos[0]!
  const atoms = overVals(plan.atoms.atoms())
  const params: QueryParams = { ...atoms.params, ...spanValsParams(plan.atoms) }
  const bad = sp.bad.kind === 'error' ? SPAN_IS_ERROR_SQL : spanSlowerSql('{latency_ns:UInt64}')
  if (sp.bad.kind === 'latency') params.latency_ns = plan.latencyNs.values[sp.bad.threshold]!
  return {
    table: OTEL_TABLES.traces,
    vals: SPAN_VALS_SQL,
    rangeWhere: RANGE_WHERE,
    map: 'SpanAttributes',
    groupSql: `${bad} AS is_bad`,
    groupNames: 'is_bad',
    refs: refsSql(atoms.sql),
    badRowSql: bad,
    matchSql: holdsSql('match', sp.match, params),
    badSql: 'is_bad',
    exampleSql: 'TraceId',
    params,
  }
}

function logSource(slo: Slo & { sli: LogsSli }): Source {
  const plan = planRollups([slo]).logs
  const lp = plan.slos[0]!
  const atoms = overVals(plan.atoms.atoms())
  const body = atomsExpression(plan.bodyAtoms.atoms(), () => 'Body', 'body')
  const params: QueryParams = { ...atoms.params, ...body.params, ...logValsParams(plan.atoms) }
  let badSql: string
  if (lp.bad.kind === 'severity') {
    params.at_least = lp.bad.atLeast
    badSql = 'severity >= {at_least:Int32}'
  } else badSql = holdsSql('bad', lp.bad.match, params)
  return {
    table: OTEL_TABLES.logs,
    vals: LOG_VALS_SQL,
    rangeWhere: LOG_RANGE_WHERE,
    map: 'LogAttributes',
    groupSql: `${body.sql} AS body_atoms, SeverityNumber AS severity`,
    groupNames: 'body_atoms, severity',
    refs: refsSql(atoms.sql, 'body_atoms'),
    badRowSql: lp.bad.kind === 'severity' ? 'SeverityNumber >= {at_least:Int32}' : '1',
    matchSql: holdsSql('match', lp.match, params),
    badSql,
    exampleSql: 'tuple(toUnixTimestamp64Milli(Timestamp), TraceId, SpanId, substring(Body, 1, 500))',
    params,
  }
}

export type AttributableSlo = Slo & { sli: SpansSli | LogsSli }
export const isAttributable = (slo: Slo): slo is AttributableSlo => slo.sli.kind === 'spans' || slo.sli.kind === 'logs'

export function sourceOf(slo: AttributableSlo): Source {
  return slo.sli.kind === 'spans' ? spanSource(slo as Slo & { sli: SpansSli }) : logSource(slo as Slo & { sli: LogsSli })
}

const rangeParams = (r: AttributionRange) => ({ from_ms: r.fromMs, to_ms: r.toMs })

/**
 * Attribute keys on a sample of the SLO's bad events, with how many distinct
 * values each takes there and on how many of them it is set: the candidates
 * for automatic dimensions.
 */
export function candidateKeysStatement(s: Source, r: AttributionRange, sampleRows: number): Statement {
  const sql = `SELECT key, toFloat64(uniqExact(value)) AS distinctValues, toFloat64(count()) AS events, toFloat64(countIf(has(own_keys, key))) AS ownEvents
FROM (
  SELECT attrs, own_keys FROM (
    SELECT *, ${s.refs} AS refs
    FROM (
      SELECT ${s.vals} AS vals, ${s.groupSql}, mapUpdate(ResourceAttributes, ${s.map}) AS attrs, mapKeys(${s.map}) AS own_keys
      FROM ${s.table} WHERE ${s.rangeWhere} AND ${s.badRowSql}
    )
  )
  WHERE ${s.matchSql} AND ${s.badSql}
  LIMIT {sample_rows:UInt32}
)
ARRAY JOIN mapKeys(attrs) AS key, mapValues(attrs) AS value
GROUP BY key
ORDER BY events DESC, key`
  return { sql, params: { ...s.params, ...rangeParams(r), sample_rows: sampleRows } }
}

export interface ValueRow {
  /** '' for the overall row (every event once). */
  key: string
  value: string
  total: number
  bad: number
  /** Trace ids (spans) or [unix ms, trace id, span id, body] tuples (logs) of bad events. */
  examples: unknown[]
}

/**
 * Per dimension key and value: events, bad events and examples of bad ones,
 * the `max_values` values with the most bad events per key; plus the overall
 * row (key '').
 */
export function valuesStatement(s: Source, r: AttributionRange, keys: readonly DimensionKey[], maxValues: number): Statement {
  const sql = `SELECT key, value, toFloat64(sum(total)) AS total, toFloat64(sum(bad)) AS bad, groupUniqArrayArray(${MAX_EXAMPLES})(examples) AS examples
FROM (
  SELECT dims, total, if(${s.badSql}, total, 0) AS bad, if(${s.badSql}, examples, []) AS examples
  FROM (
    SELECT *, ${s.refs} AS refs, [${["''", ...dimColumns(keys.length)].join(', ')}]::Array(String) AS dims
    FROM (
      SELECT ${[`${s.vals} AS vals`, dimsSql(s.map, keys), s.groupSql].filter(Boolean).join(', ')}, count() AS total, groupArray(${MAX_EXAMPLES})(${s.exampleSql}) AS examples
      FROM ${s.table} WHERE ${s.rangeWhere}
      GROUP BY ${['vals', ...dimColumns(keys.length), s.groupNames].join(', ')}
    )
  )
  WHERE ${s.matchSql}
)
ARRAY JOIN dims AS value, arrayPushFront({dim_keys:Array(String)}, '') AS key
GROUP BY key, value
ORDER BY key, bad DESC, total DESC, value
LIMIT {max_values:UInt32} BY key`
  return { sql, params: { ...s.params, ...rangeParams(r), ...Object.fromEntries(keys.map((k, i) => [`dim_${i}`, k.key])), dim_keys: keys.map((k) => k.key), max_values: maxValues } }
}
