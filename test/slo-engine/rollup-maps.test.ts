import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Registry } from 'prom-client'
import { configSchema } from '../../config/index.ts'
import { createLogger } from '../../instrumentation/index.ts'
import { migrate, openStorage, otelMigrations, type Storage } from '../../storage/index.ts'
import { createEngine, createSloCatalog, engineMigrations, type Engine } from '../../slo-engine/index.ts'
import { spans } from '../fixtures/telemetry.ts'
import { latestEvaluation } from '../support/evaluations.ts'
import { tempDir } from '../support/temp.ts'

// The span rollup reads an attribute map only when some SLO of the tick
// matches on one of its keys (slo-engine/sli/queries.ts): the widest columns
// of a span are not read for nothing. Leaving one out must not move the
// positions of the other map's keys. Each tick below has one kind of SLO, so
// its rollup reads one map only; the counts are the hand-counted ones.
// (Its own file: one embedded ClickHouse per process.)

const dir = tempDir()
const sloDir = join(dir.path, 'slos')
const config = configSchema.parse({ storage: { dataDir: join(dir.path, 'data'), ttlDays: { traces: 0, logs: 0, metrics: 0 } }, engine: { sloDir } })
let storage: Storage
let engine: Engine
const rollupSql: string[] = []

const slo = (name: string, sli: string) => `apiVersion: cairn/v1
kind: SLO
metadata: { name: ${name}, service: checkout }
spec:
  objective: 99
  window: 1d
  sli:
    spans: ${sli}
`

beforeAll(async () => {
  mkdirSync(sloDir)
  storage = await openStorage(config.storage)
  await migrate(storage, [...otelMigrations(config.storage.ttlDays), ...engineMigrations])
  const query = storage.query.bind(storage)
  storage.query = ((sql: string, ...rest: unknown[]) => {
    if (/FROM otel_traces\b/.test(sql) && /AS vals/.test(sql)) rollupSql.push(sql)
    return (query as (...a: unknown[]) => unknown)(sql, ...rest)
  }) as Storage['query']
  const logger = createLogger('silent')
  engine = createEngine({ config: config.engine, storage, logger, registry: new Registry(), catalog: createSloCatalog({ storage, sloDir, logger }) })
  const prod = { 'k8s.namespace.name': 'prod' }
  const staging = { 'k8s.namespace.name': 'staging' }
  await storage.insertRows('otel_traces', [
    ...spans('2025-01-15T11:00:00Z', 100, { resource: prod, errors: 4 }),
    ...spans('2025-01-15T11:00:00Z', 60, { resource: staging, errors: 30 }),
    ...spans('2025-01-15T11:10:00Z', 40, { resource: prod, attributes: { 'http.route': '/refund' }, errors: 1 }),
  ])
})
afterAll(async () => {
  await storage?.close()
  dir.remove()
})

/** Ticks at `at` with `specs` as the whole catalog; the evaluations of `ids`, and the rollup statements the tick ran. */
async function tickWith(at: string, specs: string[], ids: string[]) {
  rollupSql.length = 0
  writeFileSync(join(sloDir, 'slos.yaml'), specs.join('---\n'))
  await engine.tick(new Date(at))
  expect(rollupSql.length).toBeGreaterThan(0)
  const counts = await Promise.all(ids.map(async (id) => {
    const e = await latestEvaluation(storage, id)
    return [e.eventsTotal, e.eventsBad]
  }))
  return { counts, sql: [...rollupSql] }
}

describe('span rollups read only the attribute maps their SLOs match on', () => {
  it('an SLO on resource attributes alone: ResourceAttributes read, SpanAttributes not', async () => {
    const { counts, sql } = await tickWith('2025-01-15T12:00:30Z', [slo('prod', '{ service: checkout, resourceAttributes: { k8s.namespace.name: prod }, bad: error }')], ['checkout-prod'])
    // prod: 100 spans with 4 errors, 40 /refund spans with 1 error; staging does not count.
    expect(counts).toEqual([[140, 5]])
    for (const q of sql) {
      expect(q).toContain('ResourceAttributes[')
      expect(q).not.toContain('SpanAttributes')
    }
  })

  it('an SLO on span attributes alone: SpanAttributes read, ResourceAttributes not', async () => {
    const { counts, sql } = await tickWith('2025-01-15T12:01:30Z', [slo('refunds', '{ service: checkout, attributes: { http.route: /refund }, bad: error }')], ['checkout-refunds'])
    expect(counts).toEqual([[40, 1]])
    for (const q of sql) {
      expect(q).toContain('SpanAttributes[')
      expect(q).not.toContain('ResourceAttributes')
    }
  })

  it('both kinds in one tick: both maps, each key at its own position', async () => {
    const { counts, sql } = await tickWith(
      '2025-01-15T12:02:30Z',
      [slo('prod-refunds', '{ service: checkout, attributes: { http.route: /refund }, resourceAttributes: { k8s.namespace.name: prod }, bad: error }'), slo('staging', '{ service: checkout, resourceAttributes: { k8s.namespace.name: staging }, bad: error }')],
      ['checkout-prod-refunds', 'checkout-staging'],
    )
    expect(counts).toEqual([[40, 1], [60, 30]])
    expect(sql.some((q) => q.includes('SpanAttributes[') && q.includes('ResourceAttributes['))).toBe(true)
  })
})
