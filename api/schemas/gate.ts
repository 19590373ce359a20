import { z } from '@hono/zod-openapi'

const PolicySchema = z
  .object({
    freezeWhenRemainingBelow: z.number().openapi({ description: 'ratio: freeze while the remaining budget ratio is below it', example: 0 }),
    freezeWhilePaging: z.boolean(),
    freezeWhenUnknown: z.boolean(),
    sources: z.record(z.string(), z.enum(['slo', 'service', 'default'])).openapi({ description: 'where each field came from' }),
  })
  .openapi('BudgetPolicy')

export const GateSloSchema = z
  .object({
    id: z.string(),
    service: z.string(),
    state: z.enum(['ok', 'no_data', 'error', 'pending', 'not_computed', 'stale']).openapi({ description: 'ok, or why cairn cannot tell (docs/gate.md)' }),
    frozen: z.boolean().openapi({ description: 'the policy freezes this SLO' }),
    overridden: z.boolean().openapi({ description: 'frozen, but an active override opens it' }),
    remainingRatio: z.number().nullable(),
    budgetExhaustedAt: z.string().nullable(),
    paging: z.boolean(),
    evaluatedAt: z.string().nullable(),
    policy: PolicySchema,
    reasons: z.array(z.string()),
    overrideId: z.string().nullable(),
  })
  .openapi('GateSlo')

export const GateDecisionSchema = z
  .object({
    allow: z.boolean(),
    reasons: z.array(z.string()).openapi({ example: ['checkout-availability: error budget -12.5% remaining, below the freeze threshold of 0%'] }),
    slos: z.array(GateSloSchema),
  })
  .openapi('GateDecision')

export const OverrideSchema = z
  .object({
    id: z.string(),
    service: z.string(),
    slo: z.string().nullable().openapi({ description: 'null: every SLO of the service' }),
    who: z.string(),
    why: z.string(),
    createdBy: z.string().openapi({ description: 'the API token that created it (its configured name)' }),
    createdAt: z.string(),
    until: z.string(),
    revokedAt: z.string().nullable(),
    revokedBy: z.string().nullable(),
    active: z.boolean(),
  })
  .openapi('GateOverride')

const text = (what: string, max: number) => z.string({ error: `expected ${what}` }).trim().min(1, `expected ${what}`).max(max, `expected ${what} of at most ${max} characters`)

export const NewOverrideSchema = z
  .object({
    service: z.string().min(1).max(256).optional().openapi({ description: 'open every SLO of this service (or give slo)' }),
    slo: z.string().min(1).max(256).optional().openapi({ description: 'open this SLO only' }),
    who: text('who asks for the override (a person)', 200),
    why: text('why (a ticket, an incident, the change)', 2000),
    until: z.string({ error: 'expected until: an RFC 3339 time or a duration from now such as 2h' }).openapi({ example: '2h', description: 'RFC 3339 time, or a duration from now (30m, 2h, 1d)' }),
  })
  .strict()
  .refine((b) => (b.service === undefined) !== (b.slo === undefined), { message: 'expected exactly one of service or slo' })
  .openapi('NewGateOverride')
