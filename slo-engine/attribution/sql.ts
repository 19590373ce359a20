import { OTEL_TABLES, type QueryParams } from '../../storage/index.ts'
import type { LogsSli, Slo, SpansSli } from '../model.ts'
import { bodyIndex, isBodyRef, planRollups, type AtomTable, type Condition } from '../sli/plan.ts'
import { SPAN_IS_ERROR_SQL, spanSlowerSql, type Statement } from '../sli/queries.ts'

// The SQL of attribution for one SLO (docs/attribution.md, "How it is read").
//
// The SLO's good/bad predicate is the engine's own: the SLO is compiled by
// planRollups into atoms and Conditions (slo-engine/sli/plan.ts), and what
// makes a span bad is the rollup's SQL text (sli/queries.ts). The rollup
// evaluates atoms once per group of many SLOs; attribution reads one SLO, so
// each atom is written here as one boolean over the row (`=` or RE2 `match`
// on a LowCardinality column, which ClickHouse computes once per dictionary
// entry) and a Condition as their conjunction: grouping 10 M rows by the atom
// fields cost 5-10 times more than evaluating the booleans row by row.
//
// Three reads, each bounded:
//  1. overview: the exact event and bad-event counts of the range, and what a
//     deterministic sample of every 2^i-th block of rows would hold (no map is read);
//  2. bad events (PREWHERE: only the blocks of the sample that hold bad rows
//     are read): for every attribute key (or the named ones), the values with
//     their bad counts, the key's coverage and distinct values, and examples;
//  3. events: per dimension, the events of its values that have bad events
//     (the others cannot raise a dimension's score), on a sample of blocks.

/** Example trace ids (or log records) kept per value. A literal: aggregate parameters cannot be bound. */
export const MAX_EXAMPLES = 5
/**
 * A sample block: 8192 consecutive rows of a part (the engine's index
 * granularity), so that leaving a block out skips its granule's columns.
 * The part's hash shifts each part's phase: small parts (fresh inserts) are
 * not all kept by block 0.
 */
export const SAMPLE_BLOCK_ROWS = 8192
const BLOCK_SQL = `cityHash64(_part) + intDiv(_part_offset, ${SAMPLE_BLOCK_ROWS})`
const sampledSql = (param: string) => `(${BLOCK_SQL}) % {${param}:UInt64} = 0`

/** Where a dimension's values are read: the span (or log) attributes, the resource attributes, or the first of both that has it. */
export type KeyOrigin = 'own' | 'resource' | 'both'
export interface DimensionKey {
  key: string
  origin: KeyOrigin
}

const RANGE_WHERE = 'Timestamp >= fromUnixTimestamp64Milli({from_ms:Int64}) AND Timestamp < fromUnixTimestamp64Milli({to_ms:Int64})'
/** otel_logs is partitioned and sorted on TimestampTime (seconds): bounding it too lets ClickHouse skip parts and granules. */
const LOG_RANGE_WHERE = `${RANGE_WHERE} AND TimestampTime >= toDateTime(intDiv({from_ms:Int64}, 1000)) AND TimestampTime <= toDateTime(intDiv({to_ms:Int64}, 1000))`

export interface AttributionRange {
  fromMs: number
  toMs: number
}

/** How one SLO reads its table; built once per request from the SLO's plan. */
export interface Source {
  table: string
  rangeWhere: string
  /** Rows outside the whole minutes [skip_from_s, skip_to_s), on the table's sort key so that the index skips the rest. */
  outsideWhere: string
  /** SQL of the attribute map besides ResourceAttributes. */
  map: string
  /** Over a row: the SLO selects it. */
  matchSql: string
  /** Over a row: it is bad (given matchSql). */
  badSql: string
  /** A cheap necessary condition of badSql for PREWHERE ('1' when none). */
  badRowSql: string
  /** SQL of one example, over a raw row. */
  exampleSql: string
  params: QueryParams
}

/** SQL of the field at 1-based `position` of `t` (its columns, then each map's keys), the key bound as a parameter. */
function fieldSql(t: AtomTable, position: number, prefix: string, params: QueryParams): string {
  if (position <= t.columns.length) return t.columns[position - 1]!
  let i = position - t.columns.length
  for (const map of t.maps) {
    const keys = t.keysOf(map)
    if (i <= keys.length) {
      params[`${prefix}_key${position}`] = keys[i - 1]!
      return `${map}[{${prefix}_key${position}:String}]`
    }
    i -= keys.length
  }
  throw new Error(`no field at position ${position}`)
}

/** One boolean per atom of `t` (0-based, as Conditions reference them). */
export function atomsSql(t: AtomTable, prefix: string, params: QueryParams): string[] {
  return t.atoms().map((a, i) => {
    params[`${prefix}_${i}`] = a.value
    const field = fieldSql(t, a.field, prefix, params)
    return a.regex ? `match(${field}, {${prefix}_${i}:String})` : `${field} = {${prefix}_${i}:String}`
  })
}

/** A Condition as SQL over a row: its `require` atoms hold and its `forbid` ones do not; body refs (logs) index `body`. */
export function conditionSql(cond: Condition, atoms: readonly string[], body: readonly string[] = []): string {
  const atom = (ref: number) => (isBodyRef(ref) ? body[bodyIndex(ref)]! : atoms[ref]!)
  const parts = [...cond.require.map(atom), ...cond.forbid.map((r) => `NOT ${atom(r)}`)]
  return parts.length === 0 ? '1' : `(${parts.join(' AND ')})`
}

function spanSource(slo: Slo & { sli: SpansSli }): Source {
  const plan = planRollups([slo]).traces
  const sp = plan.slos[0]!
  const params: QueryParams = {}
  const atoms = atomsSql(plan.atoms, 'atom', params)
  const bad = sp.bad.kind === 'error' ? SPAN_IS_ERROR_SQL : spanSlowerSql('{latency_ns:UInt64}')
  if (sp.bad.kind === 'latency') params.latency_ns = plan.latencyNs.values[sp.bad.threshold]!
  return {
    table: OTEL_TABLES.traces,
    rangeWhere: RANGE_WHERE,
    outsideWhere: 'NOT (Timestamp >= toDateTime64({skip_from_s:UInt32}, 9) AND Timestamp < toDateTime64({skip_to_s:UInt32}, 9))',
    map: 'SpanAttributes',
    matchSql: conditionSql(sp.match, atoms),
    badSql: bad,
    badRowSql: bad,
    exampleSql: 'TraceId',
    params,
  }
}

function logSource(slo: Slo & { sli: LogsSli }): Source {
  const plan = planRollups([slo]).logs
  const lp = plan.slos[0]!
  const params: QueryParams = {}
  const atoms = atomsSql(plan.atoms, 'atom', params)
  const body = atomsSql(plan.bodyAtoms, 'body', params)
  let badSql: string
  if (lp.bad.kind === 'severity') {
    params.at_least = lp.bad.atLeast
    badSql = 'SeverityNumber >= {at_least:Int32}'
  } else badSql = conditionSql(lp.bad.match, atoms, body)
  return {
    table: OTEL_TABLES.logs,
    rangeWhere: LOG_RANGE_WHERE,
    // Whole seconds: the same rows as by Timestamp.
    outsideWhere: 'NOT (TimestampTime >= toDateTime({skip_from_s:UInt32}) AND TimestampTime < toDateTime({skip_to_s:UInt32}))',
    map: 'LogAttributes',
    matchSql: conditionSql(lp.match, atoms, body),
    badSql,
    badRowSql: lp.bad.kind === 'severity' ? badSql : '1',
    exampleSql: 'tuple(toUnixTimestamp64Milli(Timestamp), TraceId, SpanId, substring(Body, 1, 500))',
    params,
  }
}

export type AttributableSlo = Slo & { sli: SpansSli | LogsSli }
export const isEventSli = (slo: Slo): slo is AttributableSlo => slo.sli.kind === 'spans' || slo.sli.kind === 'logs'

export function sourceOf(slo: AttributableSlo): Source {
  return slo.sli.kind === 'spans' ? spanSource(slo as Slo & { sli: SpansSli }) : logSource(slo as Slo & { sli: LogsSli })
}

const rangeParams = (r: AttributionRange) => ({ from_ms: r.fromMs, to_ms: r.toMs })

export interface OverviewRow {
  /** Every k-th block is in the sample (k = 1: every row). */
  k: number
  /** Events and bad events in the sample. */
  total: number
  bad: number
  /** Blocks of the sample that hold events, and bad events: what reading it costs. */
  blocks: number
  badBlocks: number
}

/**
 * Per sample step k of `ladder`: the SLO's events and bad events in the
 * sample, and its blocks. k = 1 gives the exact counts. Rows in the whole
 * minutes `skip` (counted from the rollups instead) are left out.
 */
export function overviewStatement(s: Source, r: AttributionRange, ladder: readonly number[], skip: { fromSeconds: number; toSeconds: number } = { fromSeconds: 0, toSeconds: 0 }): Statement {
  const sql = `SELECT toUInt32(k) AS k, toFloat64(sumIf(n, blk % k = 0)) AS total, toFloat64(sumIf(nb, blk % k = 0)) AS bad,
  toFloat64(countIf(blk % k = 0)) AS blocks, toFloat64(countIf(nb > 0 AND blk % k = 0)) AS badBlocks
FROM (
  SELECT ${BLOCK_SQL} AS blk, count() AS n, countIf(${s.badSql}) AS nb
  FROM ${s.table} WHERE ${s.rangeWhere} AND ${s.outsideWhere} AND ${s.matchSql}
  GROUP BY blk
)
ARRAY JOIN {ladder:Array(UInt64)} AS k
GROUP BY k
ORDER BY k`
  return { sql, params: { ...s.params, ...rangeParams(r), ladder: [...ladder], skip_from_s: skip.fromSeconds, skip_to_s: skip.toSeconds } }
}

export interface BadValueRow {
  /** '' with value '': every bad event read, once. */
  key: string
  value: string
  bad: number
  /** Of `bad`, the events where the key is a span (or log) attribute rather than a resource one. */
  own: number
  /** Trace ids (spans) or [unix ms, trace id, span id, body] tuples (logs). */
  examples: unknown[]
  /** Over the key: distinct values, and bad events where it is set. */
  distinctValues: number
  keyBad: number
  keyOwn: number
}

/** The attributes of a row: the span (or log) attribute, else the resource one; an empty value is not set. */
const attrsSql = (map: string) => `mapUpdate(mapFilter((k, v) -> v != '', ResourceAttributes), mapFilter((k, v) -> v != '', ${map}))`

/**
 * The bad events of the sample (every k-th block; k = 1: all), per attribute
 * key (all of them, or `keys`) and value: bad counts, examples, and per key its
 * coverage and distinct values; the `maxValues` values with the most bad
 * events per key.
 */
export function badValuesStatement(s: Source, r: AttributionRange, k: number, keys: readonly string[] | undefined, maxValues: number): Statement {
  const sql = `SELECT key, value, bad, own, examples,
  toFloat64(count() OVER per_key) AS distinctValues, sum(bad) OVER per_key AS keyBad, sum(own) OVER per_key AS keyOwn
FROM (
  SELECT key, value, toFloat64(count()) AS bad, toFloat64(countIf(has(own_keys, key))) AS own, groupArray(${MAX_EXAMPLES})(example) AS examples
  FROM (
    SELECT ${s.exampleSql} AS example, ${attrsSql(s.map)} AS attrs, mapKeys(mapFilter((k, v) -> v != '', ${s.map})) AS own_keys
    FROM ${s.table}
    PREWHERE ${sampledSql('k')} AND ${s.badRowSql}
    WHERE ${s.rangeWhere} AND ${s.matchSql} AND ${s.badSql}
  )
  ARRAY JOIN arrayPushFront(mapKeys(attrs), '') AS key, arrayPushFront(mapValues(attrs), '') AS value
  WHERE key = '' OR {all_keys:Bool} OR has({keys:Array(String)}, key)
  GROUP BY key, value
)
WINDOW per_key AS (PARTITION BY key)
ORDER BY key, bad DESC, value
LIMIT {max_values:UInt32} BY key`
  return { sql, params: { ...s.params, ...rangeParams(r), k, all_keys: keys === undefined, keys: [...(keys ?? [])], max_values: maxValues } }
}

function dimSql(map: string, i: number, origin: KeyOrigin): string {
  const own = `${map}[{dim_${i}:String}]`
  const resource = `ResourceAttributes[{dim_${i}:String}]`
  // Each map read costs as much as the rest of the read: read one map when the key is known to live there.
  return origin === 'own' ? own : origin === 'resource' ? resource : `if(${own} != '', ${own}, ${resource})`
}

export interface TotalRow {
  /** '' with value '': every event read, once. */
  key: string
  /** '' not set; OTHER_VALUE any value outside the candidates. */
  value: string
  total: number
}
/** A value outside a dimension's candidate values (it has no bad events, or fewer than the ones read). */
export const OTHER_VALUE = '\u0000other'

/**
 * The events of the sample (every k-th block) per dimension and value, for
 * the `candidates` values of each dimension (the others counted together).
 */
export function totalsStatement(s: Source, r: AttributionRange, k: number, dims: readonly { key: DimensionKey; candidates: readonly string[] }[]): Statement {
  const params: QueryParams = { ...s.params, ...rangeParams(r), k, dim_keys: dims.map((d) => d.key.key) }
  const names = dims.map((_, i) => `d${i}`)
  const raw = dims.map((d, i) => {
    params[`dim_${i}`] = d.key.key
    params[`cand_${i}`] = [...d.candidates]
    return `${dimSql(s.map, i, d.key.origin)} AS v${i}`
  })
  const bucketed = dims.map((_, i) => `multiIf(v${i} = '', '', has({cand_${i}:Array(String)}, v${i}), v${i}, '${OTHER_VALUE}') AS d${i}`)
  const sql = `SELECT key, value, toFloat64(sum(n)) AS total
FROM (
  SELECT [${["''", ...names].join(', ')}]::Array(String) AS dims, n
  FROM (
    SELECT ${[...names, 'count() AS n'].join(', ')}
    FROM (
      SELECT ${bucketed.join(', ') || '1'}
      FROM (SELECT ${raw.join(', ') || '1'} FROM ${s.table} PREWHERE ${sampledSql('k')} AND ${s.matchSql} WHERE ${s.rangeWhere})
    )${names.length ? `\n    GROUP BY ${names.join(', ')}` : ''}
  )
)
ARRAY JOIN dims AS value, arrayPushFront({dim_keys:Array(String)}, '') AS key
GROUP BY key, value`
  return { sql, params }
}
