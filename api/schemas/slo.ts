import { z } from '@hono/zod-openapi'

const Nullable = z.number().nullable()

const AlertStateSchema = z.object({ state: z.string().openapi({ example: 'firing' }), activeSince: z.string().nullable(), updatedAt: z.string() }).openapi('AlertState')

export const SloStatusSchema = z
  .object({
    state: z.enum(['ok', 'no_data', 'error', 'pending', 'not_computed']).openapi({
      description:
        'ok / no_data as last evaluated; error: the last evaluation failed (see error; other SLOs are not affected); pending: not evaluated yet; not_computed: a PromQL SLI (Prometheus evaluates it through the generated rules) or a source cairn cannot read',
    }),
    error: z.string().nullable().openapi({ description: 'why the last evaluation failed (state error), else null', example: null }),
    evaluatedAt: z.string().nullable(),
    stale: z.boolean().openapi({
      description: "true when the latest evaluation is older than three engine schedule intervals plus the settle delay: the engine is down, failing, or the SLO fails to evaluate; the figures are not current",
    }),
    sli: Nullable.openapi({ description: 'good ÷ total over the SLO window, null without data' }),
    objective: z.number().openapi({ example: 0.999 }),
    errorBudget: z.object({ total: Nullable, consumed: Nullable, remainingRatio: Nullable.openapi({ description: '1 untouched, 0 spent, negative overspent' }) }),
    events: z.object({ total: Nullable, bad: Nullable }),
    burnRates: z.record(z.string(), z.number()).openapi({ description: 'burn rate per window (5m … 3d, and "window" for the SLO window)', example: { '5m': 0.4, '1h': 1.2, window: 0.8 } }),
    alerts: z.record(z.string(), AlertStateSchema).openapi({ description: 'alert state by severity (page, ticket)' }),
  })
  .openapi('SloStatus')

export const SloSummarySchema = z
  .object({
    id: z.string().openapi({ example: 'checkout-availability' }),
    name: z.string(),
    service: z.string(),
    displayName: z.string().optional(),
    description: z.string().optional(),
    labels: z.record(z.string(), z.string()),
    objectivePercent: z.number().openapi({ example: 99.9 }),
    window: z.string().openapi({ example: '30d', description: 'rolling duration, or calendar period and time zone' }),
    sliKind: z.string().openapi({ example: 'spans' }),
    managedBy: z.enum(['file', 'api']).openapi({ description: 'file: from CAIRN_SLO_DIR (wins over the API); api: created with PUT' }),
    source: z.object({ format: z.string(), file: z.string(), line: z.number().int(), column: z.number().int() }),
    status: SloStatusSchema,
  })
  .openapi('SloSummary')

export const SloDetailSchema = z
  .object({
    slo: z.record(z.string(), z.unknown()).openapi({
      description: "the SLO in cairn's internal model (objective, window, budgeting, SLI, alerting, source); notification secrets are shown as <redacted> or { env: NAME }, URL credentials as redacted",
    }),
    managedBy: z.enum(['file', 'api']),
    status: SloStatusSchema,
  })
  .openapi('SloDetail')

export const EvaluationSchema = z
  .object({
    evaluatedAt: z.string(),
    status: z.enum(['ok', 'no_data', 'error']),
    error: z.string().nullable(),
    sli: Nullable,
    objective: z.number(),
    eventsTotal: z.number(),
    eventsBad: z.number(),
    budgetTotal: z.number(),
    budgetConsumed: z.number(),
    budgetRemainingRatio: Nullable,
    burnRates: z.record(z.string(), z.number()),
  })
  .openapi('Evaluation')

const SpecErrorSchema = z
  .object({ file: z.string(), line: z.number().int(), column: z.number().int(), message: z.string() })
  .openapi('SpecError')

export const ValidationSchema = z
  .object({
    valid: z.boolean(),
    slos: z.array(z.object({ id: z.string(), service: z.string(), name: z.string(), format: z.string() })),
    errors: z.array(SpecErrorSchema),
  })
  .openapi('Validation')
