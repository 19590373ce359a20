import { z } from 'zod'
import type { Budgeting, CalendarPeriod, PromqlSli, Sli, SloWindow } from '../model.ts'
import { defaultAlertName, plainAlerting, idPart, LABEL_NAME, ratioToPercent, timeZone } from './common.ts'
import type { SpecPath } from './errors.ts'
import type { SloDraft } from './draft.ts'

// OpenSLO: v1 (SLO with an inline `indicator` or an `indicatorRef` to an SLI
// document; ratioMetric good/bad/total or raw; thresholdMetric; Occurrences,
// Timeslices, RatioTimeslices; rolling and calendar timeWindow) and v1alpha as
// Sloth reads it. Prometheus queries become PromQL SLIs; other metric sources
// are kept as external SLIs (listed, not computed).
//
// An SLO with several objectives becomes one cairn SLO per objective, named
// `<name>-<index>` (0-based, as Sloth names them); with one objective the name
// is kept as is (v1alpha always gets the suffix, for Sloth-compatible ids).

export interface Problem {
  path: SpecPath
  message: string
}

const scalarOrList = z.union([z.string(), z.number(), z.boolean(), z.array(z.union([z.string(), z.number(), z.boolean()]))])

/** OpenSLO labels may have list values and any key; Prometheus labels may not: lists are joined with ",", other characters become "_". */
const opensloLabels = z
  .record(z.string(), scalarOrList)
  .optional()
  .transform((labels) =>
    Object.fromEntries(
      Object.entries(labels ?? {}).map(([k, v]) => {
        const key = LABEL_NAME.test(k) ? k : k.replace(/[^a-zA-Z0-9_]/g, '_').replace(/^([0-9])/, '_$1')
        return [key, Array.isArray(v) ? v.join(',') : String(v)]
      }),
    ),
  )

const metadata = z.object({ name: idPart('name'), displayName: z.string().optional(), labels: opensloLabels })

const metricSource = z.object({
  metricSourceRef: z.string().optional(),
  type: z.string().optional(),
  spec: z.record(z.string(), z.unknown()).default({}),
})
const metricPart = z.object({ metricSource })

export const opensloSliSpec = z.object({
  description: z.string().optional(),
  thresholdMetric: metricPart.optional(),
  ratioMetric: z
    .object({
      counter: z.boolean().optional(),
      good: metricPart.optional(),
      bad: metricPart.optional(),
      total: metricPart.optional(),
      rawType: z.enum(['success', 'failure'], { error: 'expected rawType success or failure' }).optional(),
      raw: metricPart.optional(),
    })
    .optional(),
})
export type OpensloSliSpec = z.infer<typeof opensloSliSpec>

export const opensloSliDocument = z.object({ apiVersion: z.literal('openslo/v1'), kind: z.literal('SLI'), metadata, spec: opensloSliSpec })
export const opensloDataSourceDocument = z.object({
  apiVersion: z.literal('openslo/v1'),
  kind: z.literal('DataSource'),
  metadata,
  spec: z.object({ type: z.string({ error: 'expected the data source type, e.g. Prometheus' }) }),
})

const objective = z.object({
  displayName: z.string().optional(),
  op: z.enum(['lt', 'lte', 'gt', 'gte'], { error: 'expected op: one of lt, lte, gt, gte' }).optional(),
  value: z.number({ error: 'expected value as a number' }).optional(),
  target: z.number({ error: 'expected target as a ratio, e.g. 0.999' }).gt(0, 'expected a target above 0 and below 1').lt(1, 'expected a target above 0 and below 1 (1 leaves no error budget)').optional(),
  targetPercent: z.number({ error: 'expected targetPercent as a percentage, e.g. 99.9' }).gt(0, 'expected a targetPercent above 0 and below 100').lt(100, 'expected a targetPercent above 0 and below 100 (100 leaves no error budget)').optional(),
  timeSliceTarget: z.number({ error: 'expected timeSliceTarget as a ratio, e.g. 0.95' }).gt(0, 'expected a timeSliceTarget in (0, 1]').max(1, 'expected a timeSliceTarget in (0, 1]').optional(),
  timeSliceWindow: z.union([z.number().int().positive(), z.string()], { error: 'expected timeSliceWindow as minutes or a duration such as 1m' }).optional(),
})

const timeWindow = z.object({
  duration: z.string({ error: 'expected duration such as 28d, 4w or 1M' }),
  isRolling: z.boolean().optional(),
  calendar: z.object({ startTime: z.unknown().optional(), timeZone: timeZone.optional() }).optional(),
})

export const opensloSloDocument = z.object({
  apiVersion: z.literal('openslo/v1'),
  kind: z.literal('SLO'),
  metadata,
  spec: z.object({
    description: z.string().optional(),
    service: idPart('service name'),
    indicator: z.object({ metadata, spec: opensloSliSpec }).optional(),
    indicatorRef: z.string().optional(),
    timeWindow: z.array(timeWindow).length(1, 'expected exactly one time window').optional(),
    budgetingMethod: z.enum(['Occurrences', 'Timeslices', 'RatioTimeslices'], { error: 'expected budgetingMethod: Occurrences, Timeslices or RatioTimeslices' }),
    objectives: z.array(objective, { error: 'expected objectives: a list' }).min(1, 'expected at least one objective'),
    alertPolicies: z.array(z.unknown()).nullish(),
  }),
})
export type OpensloSloDocument = z.infer<typeof opensloSloDocument>

const UNIT_SECONDS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400, w: 604800 }
const CALENDAR: Record<string, CalendarPeriod> = { '1d': 'day', '1w': 'week', '1M': 'month', '1Q': 'quarter', '1Y': 'year' }

/** OpenSLO duration shorthand in seconds; months, quarters and years have no fixed length. */
function shorthandSeconds(text: string): number | undefined {
  const m = /^(\d+)([smhdw])$/.exec(text)
  return m ? Number(m[1]) * UNIT_SECONDS[m[2]!]! : undefined
}

export function opensloWindow(w: z.infer<typeof timeWindow> | undefined, defaultSeconds: number): SloWindow | Problem {
  if (!w) return { kind: 'rolling', seconds: defaultSeconds }
  const rolling = w.isRolling ?? w.calendar === undefined
  if (!rolling) {
    const period = CALENDAR[w.duration]
    if (!period) {
      const hint = /^\d+m$/.test(w.duration) ? ` ("${w.duration}" is minutes in OpenSLO; a month is "1M")` : ''
      return { path: ['duration'], message: `duration: expected a calendar period of 1d, 1w, 1M, 1Q or 1Y (got "${w.duration}")${hint}` }
    }
    return { kind: 'calendar', period, timeZone: w.calendar?.timeZone ?? 'UTC' }
  }
  const seconds = shorthandSeconds(w.duration)
  if (seconds === undefined) {
    const fixed = /^\d+[MQY]$/.test(w.duration) ? ': months, quarters and years have no fixed length, use days (e.g. 30d) or a calendar window' : ''
    return { path: ['duration'], message: `duration: expected a rolling duration such as 28d or 4w (got "${w.duration}")${fixed}` }
  }
  if (seconds % 60 !== 0 || seconds === 0) return { path: ['duration'], message: `duration: expected whole minutes (got "${w.duration}")` }
  return { kind: 'rolling', seconds }
}

type Objective = z.infer<typeof objective>

function budgetingOf(method: OpensloSloDocument['spec']['budgetingMethod'], o: Objective): Budgeting | Problem {
  if (method === 'Occurrences') return { method: 'occurrences' }
  if (o.timeSliceWindow === undefined) return { path: [], message: `timeSliceWindow: is required with budgetingMethod ${method}` }
  const sliceSeconds = typeof o.timeSliceWindow === 'number' ? o.timeSliceWindow * 60 : shorthandSeconds(o.timeSliceWindow)
  if (sliceSeconds === undefined || sliceSeconds % 60 !== 0) {
    return { path: ['timeSliceWindow'], message: `timeSliceWindow: expected whole minutes, as a number or a duration such as 1m or 5m (got ${JSON.stringify(o.timeSliceWindow)})` }
  }
  if (method === 'RatioTimeslices') return { method: 'ratioTimeslices', sliceSeconds }
  if (o.timeSliceTarget === undefined) return { path: [], message: 'timeSliceTarget: is required with budgetingMethod Timeslices' }
  return { method: 'timeslices', sliceSeconds, sliceTarget: o.timeSliceTarget }
}

/** Where to find referenced SLI and DataSource documents. */
export interface OpensloRegistry {
  slis: Map<string, OpensloSliSpec>
  dataSourceTypes: Map<string, string>
}

interface SourcePart {
  role: string
  source: z.infer<typeof metricSource>
}

function sourceType(part: SourcePart, registry: OpensloRegistry): string | Problem {
  const { type, metricSourceRef } = part.source
  if (type) return type
  if (metricSourceRef) {
    const t = registry.dataSourceTypes.get(metricSourceRef)
    return t ?? { path: [part.role, 'metricSource', 'metricSourceRef'], message: `metricSourceRef: no DataSource named "${metricSourceRef}" in the files read` }
  }
  return { path: [part.role, 'metricSource'], message: 'metricSource: expected type (e.g. Prometheus) or metricSourceRef' }
}

/** The SLI of one objective: PromQL when every part reads Prometheus, external otherwise. */
export function opensloSli(spec: OpensloSliSpec, o: Objective, registry: OpensloRegistry): Sli | Problem {
  const parts: SourcePart[] = []
  if (spec.thresholdMetric && spec.ratioMetric) return { path: [], message: 'expected exactly one of ratioMetric or thresholdMetric' }
  if (spec.thresholdMetric) {
    parts.push({ role: 'thresholdMetric', source: spec.thresholdMetric.metricSource })
  } else if (spec.ratioMetric) {
    const r = spec.ratioMetric
    if (r.raw) {
      if (r.good || r.bad || r.total) return { path: ['ratioMetric'], message: 'ratioMetric: raw cannot be combined with good, bad or total' }
      if (!r.rawType) return { path: ['ratioMetric'], message: 'ratioMetric.rawType: is required with raw (success or failure)' }
      parts.push({ role: 'raw', source: r.raw.metricSource })
    } else {
      if (!r.total) return { path: ['ratioMetric'], message: 'ratioMetric: expected total with good or bad, or raw with rawType' }
      if ((r.good === undefined) === (r.bad === undefined)) return { path: ['ratioMetric'], message: 'ratioMetric: expected exactly one of good or bad beside total' }
      if (r.good) parts.push({ role: 'good', source: r.good.metricSource })
      if (r.bad) parts.push({ role: 'bad', source: r.bad.metricSource })
      parts.push({ role: 'total', source: r.total.metricSource })
    }
  } else {
    return { path: [], message: 'expected ratioMetric or thresholdMetric' }
  }
  const prefix: SpecPath = spec.thresholdMetric ? [] : ['ratioMetric']
  const types: string[] = []
  for (const part of parts) {
    const t = sourceType(part, registry)
    if (typeof t !== 'string') return { path: [...prefix, ...t.path], message: t.message }
    types.push(t)
  }
  const queries = Object.fromEntries(parts.map((p) => [p.role, p.source.spec.query]))
  const allPromql = types.every((t) => t.toLowerCase() === 'prometheus') && Object.values(queries).every((q) => typeof q === 'string' && q.length > 0)
  if (!allPromql) return { kind: 'external', sourceType: types[0]!, queries: Object.fromEntries(parts.map((p) => [p.role, p.source.spec])) }
  const q = queries as Record<string, string>
  if (spec.thresholdMetric) {
    if (!o.op || o.value === undefined) return { path: [], message: 'objective: op and value are required with a thresholdMetric' }
    return { kind: 'promql', form: 'threshold', query: q.thresholdMetric!, op: o.op, threshold: o.value }
  }
  const r = spec.ratioMetric!
  let sli: PromqlSli
  if (r.raw) sli = { kind: 'promql', form: 'raw', errorRatioQuery: r.rawType === 'failure' ? q.raw! : `1 - (${q.raw!})` }
  else if (r.good) sli = { kind: 'promql', form: 'goodTotal', goodQuery: q.good!, totalQuery: q.total! }
  else sli = { kind: 'promql', form: 'events', errorQuery: q.bad!, totalQuery: q.total! }
  return sli
}

/** The draft of one objective of an OpenSLO SLO (v1 or v1alpha). */
function objectiveDraft(
  o: { service: string; name: string; displayName: string | undefined; description: string | undefined; labels: Record<string, string> },
  objectivePercent: number,
  window: SloWindow,
  budgeting: Budgeting,
  sli: Sli,
  alertsEnabled: boolean,
): SloDraft {
  const id = `${o.service}-${o.name}`
  return {
    id,
    name: o.name,
    service: o.service,
    ...(o.displayName !== undefined && { displayName: o.displayName }),
    ...(o.description !== undefined && { description: o.description }),
    labels: o.labels,
    objectivePercent,
    window,
    budgeting,
    sli,
    alerting: plainAlerting(defaultAlertName(id), alertsEnabled),
  }
}

export function isProblem(x: object): x is Problem {
  return 'message' in x && 'path' in x
}

/** Drafts (or problems, with paths inside the document) for an openslo/v1 SLO. */
export function opensloToDrafts(doc: OpensloSloDocument, registry: OpensloRegistry, defaultWindowSeconds: number): ({ draft: SloDraft; path: SpecPath } | Problem)[] {
  const { metadata: meta, spec } = doc
  let sliSpec: OpensloSliSpec | undefined
  let sliPath: SpecPath = ['spec', 'indicator', 'spec']
  if (spec.indicator && spec.indicatorRef) return [{ path: ['spec', 'indicatorRef'], message: 'spec: expected indicator or indicatorRef, not both' }]
  if (spec.indicator) sliSpec = spec.indicator.spec
  else if (spec.indicatorRef) {
    sliSpec = registry.slis.get(spec.indicatorRef)
    sliPath = ['spec', 'indicatorRef']
    if (!sliSpec) return [{ path: ['spec', 'indicatorRef'], message: `spec.indicatorRef: no SLI named "${spec.indicatorRef}" in the files read` }]
  } else return [{ path: ['spec'], message: 'spec: expected indicator (inline SLI) or indicatorRef' }]

  const window = opensloWindow(spec.timeWindow?.[0], defaultWindowSeconds)
  if (isProblem(window)) return [{ path: ['spec', 'timeWindow', 0, ...window.path], message: `spec.timeWindow[0].${window.message}` }]
  const several = spec.objectives.length > 1
  return spec.objectives.map((o, index) => {
    const at: SpecPath = ['spec', 'objectives', index]
    const name = several ? `${meta.name}-${index}` : meta.name
    if ((o.target === undefined) === (o.targetPercent === undefined)) return { path: at, message: `spec.objectives[${index}]: expected exactly one of target or targetPercent` }
    const budgeting = budgetingOf(spec.budgetingMethod, o)
    if (isProblem(budgeting)) return { path: [...at, ...budgeting.path], message: `spec.objectives[${index}].${budgeting.message}` }
    const sli = opensloSli(sliSpec, o, registry)
    if (isProblem(sli)) return { path: spec.indicatorRef ? sliPath : [...sliPath, ...sli.path], message: `${spec.indicatorRef ? `SLI "${spec.indicatorRef}": ` : ''}${sli.message}` }
    const about = { service: spec.service, name, displayName: o.displayName ?? meta.displayName, description: spec.description, labels: meta.labels }
    // OpenSLO alert policies are not translated: an SLO that has any gets cairn's burn-rate policy, one without none (as Sloth).
    const draft = objectiveDraft(about, o.targetPercent ?? ratioToPercent(o.target!), window, budgeting, sli, (spec.alertPolicies?.length ?? 0) > 0)
    return { draft, path: several ? at : [] }
  })
}

// --- v1alpha, as in Sloth's examples -----------------------------------------

const alphaQuery = z.object({ source: z.string().optional(), queryType: z.string().optional(), query: z.string().optional() }).passthrough()

export const opensloAlphaDocument = z.object({
  apiVersion: z.literal('openslo/v1alpha'),
  kind: z.literal('SLO'),
  metadata: z.object({ name: idPart('name'), displayName: z.string().optional() }),
  spec: z.object({
    service: idPart('service name'),
    description: z.string().optional(),
    budgetingMethod: z.literal('Occurrences', { error: 'expected budgetingMethod: Occurrences (cairn reads openslo/v1alpha as Sloth does; use openslo/v1 for timeslices)' }),
    objectives: z
      .array(
        z.object({
          displayName: z.string().optional(),
          target: z.number({ error: 'expected target as a ratio, e.g. 0.999' }).gt(0, 'expected a target above 0 and below 1').lt(1, 'expected a target above 0 and below 1 (1 leaves no error budget)'),
          ratioMetrics: z.object({ good: alphaQuery.optional(), bad: alphaQuery.optional(), total: alphaQuery, incremental: z.boolean().optional() }, { error: 'expected ratioMetrics with good (or bad) and total' }),
        }),
      )
      .min(1, 'expected at least one objective'),
    timeWindows: z
      .array(z.object({ count: z.number().int().positive(), unit: z.enum(['Second', 'Minute', 'Hour', 'Day', 'Week', 'Month', 'Quarter', 'Year']), isRolling: z.boolean().optional() }))
      .length(1, 'expected exactly one time window')
      .optional(),
  }),
})
export type OpensloAlphaDocument = z.infer<typeof opensloAlphaDocument>

const ALPHA_UNIT_SECONDS: Record<string, number> = { Second: 1, Minute: 60, Hour: 3600, Day: 86400, Week: 604800 }
const ALPHA_CALENDAR: Record<string, CalendarPeriod> = { Day: 'day', Week: 'week', Month: 'month', Quarter: 'quarter', Year: 'year' }

export function opensloAlphaToDrafts(doc: OpensloAlphaDocument, defaultWindowSeconds: number): ({ draft: SloDraft; path: SpecPath } | Problem)[] {
  const { metadata: meta, spec } = doc
  const w = spec.timeWindows?.[0]
  let window: SloWindow = { kind: 'rolling', seconds: defaultWindowSeconds }
  if (w && w.isRolling === false) {
    if (w.count !== 1 || !ALPHA_CALENDAR[w.unit]) return [{ path: ['spec', 'timeWindows', 0], message: `spec.timeWindows[0]: expected a calendar window of 1 Day, Week, Month, Quarter or Year (got ${w.count} ${w.unit})` }]
    window = { kind: 'calendar', period: ALPHA_CALENDAR[w.unit]!, timeZone: 'UTC' }
  } else if (w) {
    const unit = ALPHA_UNIT_SECONDS[w.unit]
    const seconds = unit === undefined ? undefined : w.count * unit
    if (seconds === undefined || seconds % 60 !== 0) return [{ path: ['spec', 'timeWindows', 0], message: `spec.timeWindows[0]: expected a rolling window of whole minutes (got ${w.count} ${w.unit})` }]
    window = { kind: 'rolling', seconds }
  }
  return spec.objectives.map((o, index) => {
    const at: SpecPath = ['spec', 'objectives', index]
    const name = `${meta.name}-${index}`
    const r = o.ratioMetrics
    if ((r.good === undefined) === (r.bad === undefined)) return { path: [...at, 'ratioMetrics'], message: `spec.objectives[${index}].ratioMetrics: expected exactly one of good or bad beside total` }
    const parts = { ...(r.good && { good: r.good }), ...(r.bad && { bad: r.bad }), total: r.total }
    const promql = Object.values(parts).every((p) => (p.source ?? 'prometheus').toLowerCase() === 'prometheus' && (p.queryType ?? 'promql').toLowerCase() === 'promql' && !!p.query)
    const sli: Sli = !promql
      ? { kind: 'external', sourceType: r.total.source ?? 'unknown', queries: parts }
      : r.good
        ? { kind: 'promql', form: 'goodTotal', goodQuery: r.good.query!, totalQuery: r.total.query! }
        : { kind: 'promql', form: 'events', errorQuery: r.bad!.query!, totalQuery: r.total.query! }
    const about = { service: spec.service, name, displayName: o.displayName ?? meta.displayName, description: spec.description, labels: {} }
    const draft = objectiveDraft(about, ratioToPercent(o.target), window, { method: 'occurrences' }, sli, false)
    return { draft, path: at }
  })
}
