import { z } from 'zod'
import { formatDuration, parseDuration } from '../duration.ts'
import { budgetPolicyFields } from '../../config/index.ts'
import type { AlertPolicySpec, AlertSeveritySpec, Budgeting, NotifyTarget, Sli, SloAlerting, SloWindow } from '../model.ts'
import { SEVERITY_NUMBERS, severityNumberOf, SPAN_KINDS } from '../../storage/index.ts'
import {
  annotationMap,
  attributeMatchers,
  CALENDAR_PERIODS,
  defaultAlertName,
  idPart,
  labelMap,
  minutesDuration,
  objectivePercent,
  stringMatcher,
  timeZone,
} from './common.ts'
import { policyWindowProblems, type SloDraft } from './draft.ts'

// cairn/v1: cairn's own format, documented in docs/slo-spec.md.

const rollingWindow = minutesDuration('the window', ', or { calendar: month, timeZone: Europe/Berlin }').transform((seconds): SloWindow => ({ kind: 'rolling', seconds }))

const calendarWindow = z
  .strictObject({
    calendar: z.enum(CALENDAR_PERIODS, { error: `expected the calendar period: one of ${CALENDAR_PERIODS.join(', ')}` }),
    timeZone: timeZone.default('UTC'),
  })
  .transform((w): SloWindow => ({ kind: 'calendar', period: w.calendar, timeZone: w.timeZone }))

const windowSchema = z.union([rollingWindow, z.strictObject({ rolling: rollingWindow }).transform((w) => w.rolling), calendarWindow], {
  error: 'expected a rolling duration such as 30d, or { calendar: month, timeZone: Europe/Berlin }',
})

const percentTarget = z.number({ error: 'expected a percentage, e.g. 95' }).gt(0, 'expected a percentage above 0').max(100, 'expected a percentage of at most 100')

const budgetingSchema = z.union(
  [
    z.literal('occurrences').transform((): Budgeting => ({ method: 'occurrences' })),
    z.strictObject({ timeslices: z.strictObject({ slice: minutesDuration('the slice'), target: percentTarget }) }).transform(
      ({ timeslices }): Budgeting => ({ method: 'timeslices', sliceSeconds: timeslices.slice, sliceTarget: timeslices.target / 100 }),
    ),
    z.strictObject({ ratioTimeslices: z.strictObject({ slice: minutesDuration('the slice') }) }).transform(
      ({ ratioTimeslices }): Budgeting => ({ method: 'ratioTimeslices', sliceSeconds: ratioTimeslices.slice }),
    ),
  ],
  { error: 'expected occurrences, { timeslices: { slice: 1m, target: 95 } } or { ratioTimeslices: { slice: 1m } }' },
)

const latencyThreshold = z.string({ error: 'expected a duration such as 300ms or 1s' }).transform((text, ctx) => {
  const seconds = parseDuration(text)
  if (seconds === undefined || seconds <= 0) {
    ctx.addIssue({ code: 'custom', message: 'expected a duration such as 300ms or 1s' })
    return z.NEVER
  }
  return Math.round(seconds * 1e9)
})

const spansSli = z
  .strictObject({
    service: stringMatcher.optional(),
    spanName: stringMatcher.optional(),
    spanKind: z.enum(SPAN_KINDS, { error: `expected a span kind: one of ${SPAN_KINDS.join(', ')}` }).optional(),
    attributes: attributeMatchers,
    resourceAttributes: attributeMatchers,
    bad: z.union(
      [
        z.literal('error').transform(() => ({ kind: 'error' as const })),
        z.strictObject({ latency: z.strictObject({ threshold: latencyThreshold }) }).transform((b) => ({ kind: 'latency' as const, thresholdNs: b.latency.threshold })),
      ],
      { error: 'expected error (status Error is bad) or { latency: { threshold: 300ms } } (slower is bad)' },
    ),
  })
  .transform((s): Sli => ({ kind: 'spans', ...s }))

const severity = z.union([z.number().int().min(1).max(24), z.string().transform((s) => severityNumberOf(s) ?? -1).pipe(z.number().min(1))], {
  error: `expected a severity name (${Object.keys(SEVERITY_NUMBERS).join(', ')}) or an OTel severity number 1-24`,
})

const logsSli = z
  .strictObject({
    service: stringMatcher.optional(),
    body: stringMatcher.optional(),
    attributes: attributeMatchers,
    resourceAttributes: attributeMatchers,
    bad: z.union(
      [
        z.strictObject({ severity }).transform((b) => ({ kind: 'severity' as const, atLeast: b.severity })),
        z
          .strictObject({ body: stringMatcher.optional(), attributes: attributeMatchers })
          .refine((b) => b.body !== undefined || b.attributes.length > 0, 'expected body or attributes to match bad records')
          .transform((b) => ({ kind: 'match' as const, ...b })),
      ],
      { error: 'expected { severity: error } (at or above that level is bad) or { body: …, attributes: … } (a match is bad)' },
    ),
  })
  .transform((s): Sli => ({ kind: 'logs', ...s }))

const counterSelector = z.strictObject({
  metric: z.string({ error: 'expected the metric name' }).min(1, 'expected the metric name'),
  service: stringMatcher.optional(),
  attributes: attributeMatchers,
})

const metricsSli = z
  .strictObject({ total: counterSelector, good: counterSelector.optional(), bad: counterSelector.optional() })
  .refine((m) => (m.good === undefined) !== (m.bad === undefined), 'expected exactly one of good or bad beside total')
  .transform((m): Sli => ({ kind: 'metrics', ...m }))

const histogramSli = z
  .strictObject({
    metric: z.string({ error: 'expected the histogram metric name' }).min(1, 'expected the histogram metric name'),
    service: stringMatcher.optional(),
    attributes: attributeMatchers,
    threshold: z.number({ error: 'expected the threshold as a number, a bucket boundary (le) in the histogram unit' }).finite(),
  })
  .transform(({ threshold, ...h }): Sli => ({ kind: 'histogram', ...h, thresholdBound: threshold }))

const query = z.string({ error: 'expected a PromQL query' }).min(1, 'expected a PromQL query')
const promqlSli = z.union(
  [
    z.strictObject({ errorQuery: query, totalQuery: query }).transform((q): Sli => ({ kind: 'promql', form: 'events', ...q })),
    z.strictObject({ goodQuery: query, totalQuery: query }).transform((q): Sli => ({ kind: 'promql', form: 'goodTotal', ...q })),
    z.strictObject({ errorRatioQuery: query }).transform((q): Sli => ({ kind: 'promql', form: 'raw', ...q })),
  ],
  { error: 'expected { errorQuery, totalQuery }, { goodQuery, totalQuery } or { errorRatioQuery }' },
)

const SLI_KINDS = ['spans', 'logs', 'metrics', 'histogram', 'promql'] as const
const sliSchema = z
  .strictObject({ spans: spansSli.optional(), logs: logsSli.optional(), metrics: metricsSli.optional(), histogram: histogramSli.optional(), promql: promqlSli.optional() })
  .transform((s, ctx): Sli => {
    const given = SLI_KINDS.filter((k) => s[k] !== undefined)
    if (given.length !== 1) {
      ctx.addIssue({ code: 'custom', message: `expected exactly one SLI kind: ${SLI_KINDS.join(', ')}${given.length ? ` (got ${given.join(' and ')})` : ''}` })
      return z.NEVER
    }
    return s[given[0]!]!
  })

const severitySpec = z
  .strictObject({ enabled: z.boolean().default(true), labels: labelMap, annotations: annotationMap, for: minutesDuration('for').optional() })
  .default({ enabled: true, labels: {}, annotations: {} })
  .transform(({ for: forSeconds, ...s }): AlertSeveritySpec => (forSeconds === undefined ? s : { ...s, forSeconds }))

const windowPair = z
  .strictObject({
    errorBudgetPercent: z.number({ error: 'expected a percentage of the error budget' }).gt(0).max(100),
    shortWindow: minutesDuration('the short window'),
    longWindow: minutesDuration('the long window'),
  })
  .superRefine((p, ctx) => {
    if (p.shortWindow >= p.longWindow) ctx.addIssue({ code: 'custom', path: ['shortWindow'], message: `expected a short window shorter than the long window (${formatDuration(p.longWindow)})` })
  })
const windowPairs = z.strictObject({ quick: windowPair, slow: windowPair })
const toPair = (p: z.infer<typeof windowPair>) => ({ budgetPercent: p.errorBudgetPercent, shortWindowSeconds: p.shortWindow, longWindowSeconds: p.longWindow })

const policySchema = z
  .strictObject({ page: windowPairs, ticket: windowPairs })
  .transform((p): AlertPolicySpec => ({
    page: { quick: toPair(p.page.quick), slow: toPair(p.page.slow) },
    ticket: { quick: toPair(p.ticket.quick), slow: toPair(p.ticket.slow) },
  }))

const httpUrl = z.url({ protocol: /^https?$/, error: 'expected an http:// or https:// URL' })
// A secret inline, or `{ env: NAME }`: the name of an environment variable holding it.
const secretValue = (what: string) =>
  z.union([z.string().min(1, `expected ${what}`), z.strictObject({ env: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'expected an environment variable name of letters, digits and _') })], {
    error: `expected ${what}, or { env: NAME } naming an environment variable that holds it`,
  })

const notifySchema = z.array(
  z.discriminatedUnion(
    'type',
    [
      z.strictObject({ type: z.literal('alertmanager'), url: httpUrl }),
      z.strictObject({ type: z.literal('pagerduty'), routingKey: secretValue('the PagerDuty routing key'), url: httpUrl.optional() }),
      z.strictObject({ type: z.literal('webhook'), url: httpUrl, headers: z.record(z.string(), secretValue('a header value')).optional() }),
    ],
    { error: 'expected a notification target with type alertmanager, pagerduty or webhook' },
  ),
)

/** No events for `after` (at least 5m: traffic is measured over the last 5 minutes) in an SLO that had some. */
const noDataSchema = z
  .strictObject({ after: minutesDuration('after'), severity: z.enum(['page', 'ticket'], { error: 'expected severity page or ticket' }).default('page') })
  .refine((n) => n.after >= 300, { message: 'expected after of at least 5m (traffic is measured over the last 5 minutes)', path: ['after'] })
  .transform((n) => ({ afterSeconds: n.after, severity: n.severity }))

const alertingSchema = z.strictObject({
  name: z.string().regex(/^[a-zA-Z_:][a-zA-Z0-9_:]*$/, 'expected an alert name of letters, digits, _ and :, not starting with a digit').optional(),
  labels: labelMap,
  annotations: annotationMap,
  page: severitySpec,
  ticket: severitySpec,
  runbook: httpUrl.optional(),
  policy: policySchema.optional(),
  notify: notifySchema.optional(),
  noData: noDataSchema.optional(),
})

export const cairnDocument = z.strictObject({
  apiVersion: z.literal('cairn/v1'),
  kind: z.literal('SLO', { error: 'expected kind: SLO' }),
  metadata: z.strictObject({
    name: idPart('SLO name'),
    service: idPart('service name'),
    displayName: z.string().optional(),
    labels: labelMap,
  }),
  spec: z.strictObject({
    description: z.string().optional(),
    objective: objectivePercent,
    window: windowSchema,
    budgeting: budgetingSchema.default({ method: 'occurrences' }),
    sli: sliSchema,
    alerting: alertingSchema.optional(),
    policy: budgetPolicyFields.optional(),
    attribution: z.array(z.string().min(1, 'expected an attribute key').max(256, 'expected an attribute key of at most 256 characters')).max(20, 'expected at most 20 attribution keys').optional(),
  }).superRefine((spec, ctx) => {
    for (const problem of policyWindowProblems(spec.alerting?.policy, spec.window)) ctx.addIssue({ code: 'custom', path: ['alerting', 'policy', ...problem.path], message: problem.message })
  }),
})

/** A validated cairn/v1 document as the parts of an Slo (the caller adds the source). */
export function cairnToDraft(doc: z.infer<typeof cairnDocument>): SloDraft {
  const { metadata, spec } = doc
  const id = `${metadata.service}-${metadata.name}`
  const a = spec.alerting
  const alerting: SloAlerting = {
    name: a?.name ?? defaultAlertName(id),
    labels: a?.labels ?? {},
    annotations: a?.annotations ?? {},
    page: a?.page ?? { enabled: true, labels: {}, annotations: {} },
    ticket: a?.ticket ?? { enabled: true, labels: {}, annotations: {} },
    ...(a?.runbook !== undefined && { runbook: a.runbook }),
    ...(a?.policy !== undefined && { policy: a.policy }),
    ...(a?.notify !== undefined && { notify: a.notify as NotifyTarget[] }),
    ...(a?.noData !== undefined && { noData: a.noData }),
  }
  return {
    id,
    name: metadata.name,
    service: metadata.service,
    ...(metadata.displayName !== undefined && { displayName: metadata.displayName }),
    ...(spec.description !== undefined && { description: spec.description }),
    labels: metadata.labels,
    objectivePercent: spec.objective,
    window: spec.window,
    budgeting: spec.budgeting,
    sli: spec.sli,
    alerting,
    ...(spec.policy !== undefined && { budgetPolicy: spec.policy }),
    ...(spec.attribution !== undefined && { attribution: [...new Set(spec.attribution)] }),
  }
}
