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

describe('span rollups read only the attribute maps their SLOs match on', () => {
  it('an SLO on resource attributes alone: ResourceAttributes read, SpanAttributes not', async () => {
    writeFileSync(join(sloDir, 'slos.yaml'), slo('prod', '{ service: checkout, resourceAttributes: { k8s.namespace.name: prod }, bad: error }'))
    await engine.tick(new Date('2025-01-15T12:00:30Z'))
    const e = await latestEvaluation(storage, 'checkout-prod')
    // prod: 100 spans with 4 errors, 40 /refund spans with 1 error; staging does not count.
    expect([e.eventsTotal, e.eventsBad]).toEqual([140, 5])
    expect(rollupSql.length).toBeGreaterThan(0)
    for (const sql of rollupSql) {
      expect(sql).toContain('ResourceAttributes[')
      expect(sql).not.toContain('SpanAttributes')
    }
  })

  it('an SLO on span attributes alone: SpanAttributes read, ResourceAttributes not', async () => {
    rollupSql.length = 0
    writeFileSync(join(sloDir, 'slos.yaml'), slo('refunds', '{ service: checkout, attributes: { http.route: /refund }, bad: error }'))
    await engine.tick(new Date('2025-01-15T12:01:30Z'))
    const e = await latestEvaluation(storage, 'checkout-refunds')
    expect([e.eventsTotal, e.eventsBad]).toEqual([40, 1])
    expect(rollupSql.length).toBeGreaterThan(0)
    for (const sql of rollupSql) {
      expect(sql).toContain('SpanAttributes[')
      expect(sql).not.toContain('ResourceAttributes')
    }
  })

  it('both kinds in one tick: both maps, each key at its own position', async () => {
    rollupSql.length = 0
    writeFileSync(
      join(sloDir, 'slos.yaml'),
      [slo('prod-refunds', '{ service: checkout, attributes: { http.route: /refund }, resourceAttributes: { k8s.namespace.name: prod }, bad: error }'), slo('staging', '{ service: checkout, resourceAttributes: { k8s.namespace.name: staging }, bad: error }')].join('---\n'),
    )
    await engine.tick(new Date('2025-01-15T12:02:30Z'))
    const both = await latestEvaluation(storage, 'checkout-prod-refunds')
    const staging = await latestEvaluation(storage, 'checkout-staging')
    expect([both.eventsTotal, both.eventsBad]).toEqual([40, 1])
    expect([staging.eventsTotal, staging.eventsBad]).toEqual([60, 30])
    expect(rollupSql.some((sql) => sql.includes('SpanAttributes[') && sql.includes('ResourceAttributes['))).toBe(true)
  })
})
