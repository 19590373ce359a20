import { OpenAPIHono, createRoute, z } from '@hono/zod-openapi'
import { readBudgetTrends } from '../../slo-engine/index.ts'
import type { Storage } from '../../storage/index.ts'
import { errorResponse, validationHook } from '../errors.ts'
import { iso, resolveRange, timeParam } from '../time.ts'

// GET /api/v1/trends/budget: every SLO's remaining budget at a few points, in
// one answer, for sparklines (the history route gives one SLO in detail).

const MAX_POINTS = 500

const budgetTrends = createRoute({
  method: 'get',
  path: '/budget',
  summary: 'Remaining error budget of every SLO over time, a few points each',
  description: 'For sparklines: per SLO id, the remaining budget ratio at the last evaluation of each step (null for a step without data), oldest first. Steps are whole hours (at least one), starting at the hour of `from`; `points` is an upper bound.',
  tags: ['slos'],
  request: {
    query: z.object({
      from: timeParam('start, default 7 days before `to`'),
      to: timeParam('end, default now'),
      points: z.coerce.number({ error: 'expected a number' }).int('expected a whole number').min(2, 'expected at least 2').max(MAX_POINTS, `expected at most ${MAX_POINTS}`).default(56).openapi({ description: `steps in the range, 2-${MAX_POINTS}` }),
    }),
  },
  responses: {
    200: {
      description: 'The trends',
      content: { 'application/json': { schema: z.object({ from: z.string(), to: z.string(), stepSeconds: z.number(), slos: z.record(z.string(), z.array(z.number().nullable())) }).openapi('BudgetTrends') } },
    },
    400: errorResponse('A bad parameter'),
  },
})

export function trendRoutes(storage: Storage) {
  const app = new OpenAPIHono({ defaultHook: validationHook })
  app.openapi(budgetTrends, async (c) => {
    const q = c.req.valid('query')
    const { fromMs, toMs } = resolveRange(q, Date.now(), { defaultMs: 7 * 86_400_000 })
    const { stepSeconds, trends } = await readBudgetTrends(storage, { fromMs, toMs, stepSeconds: (toMs - fromMs) / 1000 / q.points })
    return c.json({ from: iso(fromMs), to: iso(toMs), stepSeconds, slos: Object.fromEntries(trends) }, 200)
  })
  return app
}
