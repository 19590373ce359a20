import type { AttributeMatcher, CounterSelector, HistogramSli, LogsSli, Slo, SpansSli, StringMatcher } from '../model.ts'

// SLIs compiled for the rollup queries. Cairn evaluates many SLOs per tick;
// one SQL statement per SLO costs milliseconds of parsing and planning each, so
// the SLIs of one table are compiled together into the *parameters* of one
// fixed statement (slo-engine/sli/queries.ts):
//
// - every string condition of every SLO (ServiceName = "checkout",
//   SpanAttributes["http.route"] =~ "/pay.*") becomes an *atom*: a field
//   position, whether it is a regex, and the value; equal atoms are shared;
// - ClickHouse groups the raw rows of a time range by minute and by the
//   values of the fields the atoms read, then evaluates every atom once per
//   group (RE2 regexes included) and returns, per minute, the set of atoms
//   that hold with the counts;
// - each SLO is then a Condition over atom indices (all of `require` hold,
//   none of `forbid`), applied to those sets (slo-engine/sli/match.ts).
//
// Field names and the table are fixed in the SQL text; values, attribute keys
// and thresholds travel as bound parameters.

/** A spec regex as the rollup queries (and the RE2 check) compile it: anchored at both ends. */
export const anchoredPattern = (pattern: string) => `^(?:${pattern})$`

export interface Atom {
  /** 1-based position of the field in the row's value array. */
  field: number
  regex: boolean
  /** The value, or for a regex the pattern anchored at both ends. */
  value: string
}

/** Holds for a group when every `require` atom holds and no `forbid` atom does. */
export interface Condition {
  require: number[]
  forbid: number[]
}

/** A column of the table, or one key of one of its attribute maps. */
type FieldRef = { column: string } | { map: string; key: string }

/**
 * The atoms of one table. Field positions: the fixed columns first, then for
 * each attribute map (in constructor order) the keys the atoms read.
 */
export class AtomTable {
  private readonly refs: { field: FieldRef; regex: boolean; value: string }[] = []
  private readonly index = new Map<string, number>()
  private readonly keys: Map<string, string[]>

  constructor(
    readonly columns: readonly string[],
    readonly maps: readonly string[],
  ) {
    this.keys = new Map(maps.map((m) => [m, []]))
  }

  /** Attribute keys of `map` that atoms read, in field order. */
  keysOf(map: string): string[] {
    return this.keys.get(map)!
  }

  get size(): number {
    return this.refs.length
  }

  /** Adds the atom of `matcher` on `field` to `cond` (required for eq/re, forbidden for neq/nre). */
  match(cond: Condition, field: FieldRef, matcher: StringMatcher | undefined): void {
    if (!matcher) return
    const regex = matcher.op === 're' || matcher.op === 'nre'
    const value = regex ? anchoredPattern(matcher.value) : matcher.value
    const atom = this.atom(field, regex, value)
    ;(matcher.op === 'eq' || matcher.op === 're' ? cond.require : cond.forbid).push(atom)
  }

  matchColumn(cond: Condition, column: string, matcher: StringMatcher | undefined): void {
    this.match(cond, { column }, matcher)
  }

  matchAttributes(cond: Condition, map: string, matchers: readonly AttributeMatcher[]): void {
    for (const m of matchers) this.match(cond, { map, key: m.key }, m)
  }

  /** The atoms with their field positions. */
  atoms(): Atom[] {
    const position = new Map<string, number>()
    this.columns.forEach((c, i) => position.set(c, i + 1))
    let next = this.columns.length + 1
    for (const map of this.maps) for (const key of this.keys.get(map)!) position.set(`${map}\u0000${key}`, next++)
    return this.refs.map((r) => ({ field: position.get(refKey(r.field))!, regex: r.regex, value: r.value }))
  }

  private atom(field: FieldRef, regex: boolean, value: string): number {
    if ('map' in field && !this.keys.get(field.map)!.includes(field.key)) this.keys.get(field.map)!.push(field.key)
    const id = `${refKey(field)}\u0000${regex}\u0000${value}`
    let i = this.index.get(id)
    if (i === undefined) {
      i = this.refs.push({ field, regex, value }) - 1
      this.index.set(id, i)
    }
    return i
  }
}

const refKey = (f: FieldRef) => ('column' in f ? f.column : `${f.map}\u0000${f.key}`)

export const emptyCondition = (): Condition => ({ require: [], forbid: [] })

/** Distinct numeric thresholds of one kind, shared by the SLOs that use them. */
export class Thresholds {
  readonly values: number[] = []
  indexOf(value: number): number {
    let i = this.values.indexOf(value)
    if (i < 0) i = this.values.push(value) - 1
    return i
  }
}

export type SpansPlan = { sloId: string; match: Condition; bad: { kind: 'error' } | { kind: 'latency'; threshold: number } }
export type LogsPlan = { sloId: string; match: Condition; bad: { kind: 'severity'; atLeast: number } | { kind: 'match'; match: Condition } }
/** A counter (OTLP sum or remote_write counter) selected by a condition. */
export type CounterPlan = Condition
export type MetricsPlan = { sloId: string; total: CounterPlan; good?: CounterPlan; bad?: CounterPlan }
/** Histogram points (OTLP histograms) and `_bucket` / `_count` counters (remote_write) of one histogram. */
export type HistogramPlan = { sloId: string; match: Condition; threshold: number; bucketCounter: CounterPlan; countCounter: CounterPlan }

/** Everything the rollup queries of one tick need: atoms and thresholds per table, and each SLO's conditions. */
export interface RollupPlan {
  traces: { atoms: AtomTable; latencyNs: Thresholds; slos: SpansPlan[] }
  logs: { atoms: AtomTable; bodyAtoms: AtomTable; slos: LogsPlan[] }
  sums: { atoms: AtomTable; slos: MetricsPlan[] }
  histograms: { atoms: AtomTable; thresholds: Thresholds; slos: HistogramPlan[] }
  /** Metric names read from otel_metrics_sum, to use the table's ordering. */
  sumMetricNames: Set<string>
  histogramMetricNames: Set<string>
}

export function planRollups(slos: readonly Slo[]): RollupPlan {
  const plan: RollupPlan = {
    traces: { atoms: new AtomTable(['ServiceName', 'SpanName', 'SpanKind'], ['SpanAttributes', 'ResourceAttributes']), latencyNs: new Thresholds(), slos: [] },
    logs: { atoms: new AtomTable(['ServiceName'], ['LogAttributes', 'ResourceAttributes']), bodyAtoms: new AtomTable(['Body'], []), slos: [] },
    sums: { atoms: new AtomTable(['ServiceName', 'MetricName'], ['Attributes']), slos: [] },
    histograms: { atoms: new AtomTable(['ServiceName', 'MetricName'], ['Attributes']), thresholds: new Thresholds(), slos: [] },
    sumMetricNames: new Set(),
    histogramMetricNames: new Set(),
  }
  for (const slo of slos) {
    const sli = slo.sli
    if (sli.kind === 'spans') plan.traces.slos.push(planSpans(plan, slo.id, sli))
    else if (sli.kind === 'logs') plan.logs.slos.push(planLogs(plan, slo.id, sli))
    else if (sli.kind === 'metrics') plan.sums.slos.push(planMetrics(plan, slo.id, sli))
    else if (sli.kind === 'histogram') plan.histograms.slos.push(planHistogram(plan, slo.id, sli))
  }
  return plan
}

function planSpans(plan: RollupPlan, sloId: string, sli: SpansSli): SpansPlan {
  const t = plan.traces.atoms
  const match = emptyCondition()
  t.matchColumn(match, 'ServiceName', sli.service)
  t.matchColumn(match, 'SpanName', sli.spanName)
  if (sli.spanKind) t.matchColumn(match, 'SpanKind', { op: 'eq', value: sli.spanKind })
  t.matchAttributes(match, 'SpanAttributes', sli.attributes)
  t.matchAttributes(match, 'ResourceAttributes', sli.resourceAttributes)
  const bad = sli.bad.kind === 'error' ? { kind: 'error' as const } : { kind: 'latency' as const, threshold: plan.traces.latencyNs.indexOf(sli.bad.thresholdNs) }
  return { sloId, match, bad }
}

function planLogs(plan: RollupPlan, sloId: string, sli: LogsSli): LogsPlan {
  const { atoms: t, bodyAtoms: b } = plan.logs
  const match = emptyCondition()
  t.matchColumn(match, 'ServiceName', sli.service)
  t.matchAttributes(match, 'LogAttributes', sli.attributes)
  t.matchAttributes(match, 'ResourceAttributes', sli.resourceAttributes)
  // Body is matched on the raw rows (it is too varied to group by); its atoms live apart, offset in match.ts.
  const body = emptyCondition()
  b.matchColumn(body, 'Body', sli.body)
  if (sli.bad.kind === 'severity') return { sloId, match: withBody(match, body), bad: sli.bad }
  const badMatch = emptyCondition()
  t.matchAttributes(badMatch, 'LogAttributes', sli.bad.attributes)
  const badBody = emptyCondition()
  b.matchColumn(badBody, 'Body', sli.bad.body)
  return { sloId, match: withBody(match, body), bad: { kind: 'match', match: withBody(badMatch, badBody) } }
}

/** Body atoms are numbered after the table's atoms: this marks them (negative, decoded in match.ts). */
function withBody(cond: Condition, body: Condition): Condition {
  return { require: [...cond.require, ...body.require.map(bodyRef)], forbid: [...cond.forbid, ...body.forbid.map(bodyRef)] }
}
export const bodyRef = (i: number) => -(i + 1)
export const isBodyRef = (ref: number) => ref < 0
export const bodyIndex = (ref: number) => -ref - 1

function planCounter(plan: RollupPlan, sel: CounterSelector, metricName = sel.metric, extra?: (cond: Condition, t: AtomTable) => void): CounterPlan {
  const t = plan.sums.atoms
  const cond = emptyCondition()
  t.matchColumn(cond, 'MetricName', { op: 'eq', value: metricName })
  t.matchColumn(cond, 'ServiceName', sel.service)
  t.matchAttributes(cond, 'Attributes', sel.attributes)
  extra?.(cond, t)
  plan.sumMetricNames.add(metricName)
  return cond
}

function planMetrics(plan: RollupPlan, sloId: string, sli: { total: CounterSelector; good?: CounterSelector; bad?: CounterSelector }): MetricsPlan {
  return {
    sloId,
    total: planCounter(plan, sli.total),
    ...(sli.good && { good: planCounter(plan, sli.good) }),
    ...(sli.bad && { bad: planCounter(plan, sli.bad) }),
  }
}

function planHistogram(plan: RollupPlan, sloId: string, sli: HistogramSli): HistogramPlan {
  const t = plan.histograms.atoms
  const match = emptyCondition()
  t.matchColumn(match, 'MetricName', { op: 'eq', value: sli.metric })
  t.matchColumn(match, 'ServiceName', sli.service)
  t.matchAttributes(match, 'Attributes', sli.attributes)
  plan.histogramMetricNames.add(sli.metric)
  const selector = { metric: sli.metric, service: sli.service, attributes: sli.attributes.filter((a) => a.key !== 'le') }
  // remote_write histograms arrive as <name>_bucket{le} and <name>_count counters.
  const bucketCounter = planCounter(plan, selector, `${sli.metric}_bucket`, (cond, st) => st.matchAttributes(cond, 'Attributes', [{ key: 'le', op: 're', value: leRegex(sli.thresholdBound) }]))
  const countCounter = planCounter(plan, selector, `${sli.metric}_count`)
  return { sloId, match, threshold: plan.histograms.thresholds.indexOf(sli.thresholdBound), bucketCounter, countCounter }
}

/**
 * Every spelling Prometheus clients write in `le` for a bound, as an (anchored)
 * regex: plain decimals with or without trailing zeros (`0.25`, `0.250`, `1`,
 * `1.0`), exponent forms (`1e-05` from Go and Python clients, `1.0E-5` from
 * Java), and `+Inf` / `Inf`.
 */
export function leRegex(bound: number): string {
  if (!Number.isFinite(bound)) return bound > 0 ? '\\+?Inf' : '-Inf'
  const [mantissa, expText] = Math.abs(bound).toExponential().split('e') as [string, string]
  const digits = mantissa.replace('.', '')
  const exp = Number(expText)
  const fraction = (rest: string) => (rest === '' ? '(?:\\.0*)?' : `\\.${rest}0*`)
  const plain = exp >= 0 ? `${digits.slice(0, exp + 1).padEnd(exp + 1, '0')}${fraction(digits.slice(exp + 1))}` : `0?\\.${'0'.repeat(-exp - 1)}${digits}0*`
  const exponent = `${digits[0]}${fraction(digits.slice(1))}[eE]${exp < 0 ? '-' : '\\+?'}0*${Math.abs(exp)}`
  return `${bound < 0 ? '-' : '\\+?'}(?:${plain}|${exponent})`
}
