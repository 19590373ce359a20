import { z } from 'zod'
import type { AlertSeveritySpec, Sli, SloAlerting } from '../model.ts'
import { annotationMap, defaultAlertName, idPart, labelMap, objectivePercent } from './common.ts'
import type { SloDraft } from './draft.ts'

// Sloth's specs, read unchanged: `version: prometheus/v1` files and the
// `sloth.slok.dev/v1` PrometheusServiceLevel Kubernetes resource (the same
// content in camelCase under `spec:`). Neither has a per-SLO window: every SLO
// gets the default period (30d, or what the caller passes, as Sloth's
// --default-slo-period). Sloth's plugins change how Sloth generates rules;
// cairn accepts and ignores them (docs/slo-spec.md).

const query = z.string({ error: 'expected a PromQL query' }).min(1, 'expected a PromQL query')

// Keys come in both spellings: prometheus/v1 uses snake_case, the Kubernetes
// resource camelCase, and Sloth's own test files mix them; cairn reads either.
const sliSchema = z
  .object({
    events: z.object({ error_query: query.optional(), errorQuery: query.optional(), total_query: query.optional(), totalQuery: query.optional() }).optional(),
    raw: z.object({ error_ratio_query: query.optional(), errorRatioQuery: query.optional() }).optional(),
    plugin: z.object({ id: z.string().min(1, 'expected the SLI plugin id'), options: z.record(z.string(), z.unknown()).optional() }).optional(),
  })
  .transform((s, ctx): Sli => {
    const given = (['events', 'raw', 'plugin'] as const).filter((k) => s[k] !== undefined)
    if (given.length !== 1) {
      ctx.addIssue({ code: 'custom', message: `expected exactly one SLI type: events, raw or plugin${given.length ? ` (got ${given.join(' and ')})` : ''}` })
      return z.NEVER
    }
    if (s.events) {
      const errorQuery = s.events.error_query ?? s.events.errorQuery
      const totalQuery = s.events.total_query ?? s.events.totalQuery
      if (!errorQuery) ctx.addIssue({ code: 'custom', message: 'expected error_query (errorQuery)', path: ['events'] })
      if (!totalQuery) ctx.addIssue({ code: 'custom', message: 'expected total_query (totalQuery)', path: ['events'] })
      if (!errorQuery || !totalQuery) return z.NEVER
      return { kind: 'promql', form: 'events', errorQuery, totalQuery }
    }
    if (s.raw) {
      const errorRatioQuery = s.raw.error_ratio_query ?? s.raw.errorRatioQuery
      if (!errorRatioQuery) {
        ctx.addIssue({ code: 'custom', message: 'expected error_ratio_query (errorRatioQuery)', path: ['raw'] })
        return z.NEVER
      }
      return { kind: 'promql', form: 'raw', errorRatioQuery }
    }
    // A Sloth SLI plugin is Go code Sloth runs; cairn keeps the SLO listed but can neither compute it nor generate its rules.
    return { kind: 'external', sourceType: 'sloth-sli-plugin', queries: { plugin: s.plugin } }
  })

const alertSchema = z
  .object({ disable: z.boolean().default(false), labels: labelMap, annotations: annotationMap })
  .transform((a): AlertSeveritySpec => ({ enabled: !a.disable, labels: a.labels, annotations: a.annotations }))
  .optional()

const alertingSchema = z
  .object({
    name: z.string().optional(),
    labels: labelMap,
    annotations: annotationMap,
    page_alert: alertSchema,
    pageAlert: alertSchema,
    ticket_alert: alertSchema,
    ticketAlert: alertSchema,
  })
  .optional()
  .transform((a) => ({
    name: a?.name,
    labels: a?.labels ?? {},
    annotations: a?.annotations ?? {},
    page: mergeSeverity(a?.page_alert, a?.pageAlert),
    ticket: mergeSeverity(a?.ticket_alert, a?.ticketAlert),
  }))

const sloSchema = z.object({
  name: idPart('SLO name'),
  objective: objectivePercent,
  description: z.string().optional(),
  labels: labelMap,
  sli: sliSchema,
  alerting: alertingSchema,
  plugins: z.unknown().optional(),
})

const serviceLevel = {
  service: idPart('service name'),
  labels: labelMap,
  slos: z.array(sloSchema, { error: 'expected slos: a list of SLOs' }).min(1, 'expected at least one SLO in slos'),
}

export const slothDocument = z.object({ version: z.literal('prometheus/v1'), ...serviceLevel, slo_plugins: z.unknown().optional() })

export const slothK8sDocument = z.object({
  apiVersion: z.literal('sloth.slok.dev/v1'),
  kind: z.literal('PrometheusServiceLevel', { error: 'expected kind: PrometheusServiceLevel' }),
  metadata: z.object({ name: z.string().optional(), namespace: z.string().optional() }).optional(),
  spec: z.object({ ...serviceLevel, sloPlugins: z.unknown().optional() }),
})

type ServiceLevel = z.infer<typeof slothDocument>['slos'][number]

/** Path of each SLO inside the document, for positions. */
export function slothSloPaths(k8s: boolean, count: number): (string | number)[][] {
  return Array.from({ length: count }, (_, i) => (k8s ? ['spec', 'slos', i] : ['slos', i]))
}

/**
 * One draft per SLO of a service level, or an error message keyed by the SLO's
 * index (Sloth requires an alert name whenever an alert is enabled).
 */
export function slothToDrafts(
  level: { service: string; labels: Record<string, string>; slos: ServiceLevel[] },
  windowSeconds: number,
): ({ draft: SloDraft } | { index: number; path: string[]; message: string })[] {
  return level.slos.map((slo, index) => {
    const id = `${level.service}-${slo.name}`
    const a = slo.alerting
    const { page, ticket } = a
    if ((page.enabled || ticket.enabled) && !a.name) {
      return { index, path: ['alerting', 'name'], message: 'alerting.name: is required while the page or ticket alert is enabled (set page_alert.disable and ticket_alert.disable to true to go without)' }
    }
    const alerting: SloAlerting = { name: a.name || defaultAlertName(id), labels: a.labels, annotations: a.annotations, page, ticket }
    return {
      draft: {
        id,
        name: slo.name,
        service: level.service,
        ...(slo.description !== undefined && { description: slo.description }),
        labels: { ...level.labels, ...slo.labels },
        objectivePercent: slo.objective,
        window: { kind: 'rolling', seconds: windowSeconds },
        budgeting: { method: 'occurrences' },
        sli: slo.sli,
        alerting,
      },
    }
  })
}

/** page_alert and pageAlert together: disabled if either says so. */
function mergeSeverity(a: AlertSeveritySpec | undefined, b: AlertSeveritySpec | undefined): AlertSeveritySpec {
  const none: AlertSeveritySpec = { enabled: true, labels: {}, annotations: {} }
  const [x, y] = [a ?? none, b ?? none]
  return { enabled: x.enabled && y.enabled, labels: { ...x.labels, ...y.labels }, annotations: { ...x.annotations, ...y.annotations } }
}
