import { mkdirSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { configSchema } from '../../config/index.ts'
import { createLogger } from '../../instrumentation/index.ts'
import { migrate, openStorage, type Storage } from '../../storage/index.ts'
import { createSloCatalog, engineMigrations, formatSpecError } from '../../slo-engine/index.ts'
import { tempDir } from '../support/temp.ts'

const dir = tempDir()
const sloDir = join(dir.path, 'slos')
let storage: Storage
const logger = createLogger('silent')

const spec = (name: string, objective: number, service = 'checkout') => `apiVersion: cairn/v1
kind: SLO
metadata: { name: ${name}, service: ${service} }
spec:
  objective: ${objective}
  window: 30d
  sli: { spans: { service: ${service}, bad: error } }
`

beforeAll(async () => {
  mkdirSync(sloDir)
  storage = await openStorage(configSchema.parse({ storage: { dataDir: join(dir.path, 'data') } }).storage)
  await migrate(storage, engineMigrations)
})
afterAll(async () => {
  await storage.close()
  dir.remove()
})

describe('the SLO catalog in cairn_slo_definitions', () => {
  it('mirrors the SLO directory, reflects changes and deletions, and keeps SLOs of a broken file', async () => {
    const files = createSloCatalog({ storage, sloDir, logger })
    writeFileSync(join(sloDir, 'a.yaml'), spec('availability', 99.9))
    writeFileSync(join(sloDir, 'b.yaml'), spec('latency', 99))
    expect(await files.syncFiles()).toEqual({ errors: [] })
    // Another process (`cairn api`) without the directory reads the same catalog.
    const reader = createSloCatalog({ storage, sloDir: undefined, logger })
    expect((await reader.list()).map((s) => [s.id, s.objectivePercent, s.source.file])).toEqual([
      ['checkout-availability', 99.9, join(sloDir, 'a.yaml')],
      ['checkout-latency', 99, join(sloDir, 'b.yaml')],
    ])

    writeFileSync(join(sloDir, 'a.yaml'), spec('availability', 99.5))
    rmSync(join(sloDir, 'b.yaml'))
    await files.syncFiles()
    expect((await reader.list()).map((s) => [s.id, s.objectivePercent])).toEqual([['checkout-availability', 99.5]])
    expect(await reader.get('checkout-latency')).toBeUndefined()

    // A typo must not delete the SLO: the broken file's SLOs stay as they were, and the error is reported.
    writeFileSync(join(sloDir, 'a.yaml'), spec('availability', 99.5).replace('objective', 'objectiv'))
    const { errors } = await files.syncFiles()
    expect(errors.map(formatSpecError)).toEqual([`${join(sloDir, 'a.yaml')}:4:1: spec.objective: is required (expected the objective as a percentage, e.g. 99.9)`, `${join(sloDir, 'a.yaml')}:5:3: unknown key spec.objectiv`])
    expect((await reader.get('checkout-availability'))?.objectivePercent).toBe(99.5)
    writeFileSync(join(sloDir, 'a.yaml'), spec('availability', 99.5))
  })

  it('manages API SLOs, refuses file-defined ids and mismatched ids, and lets a file take an API id over', async () => {
    const catalog = createSloCatalog({ storage, sloDir, logger })
    await catalog.syncFiles()
    const created = await catalog.putFromApi('search-errors', spec('errors', 99, 'search'))
    expect(created.errors).toEqual([])
    expect(created.created).toBe(true)
    expect(created.slo?.source).toEqual({ format: 'cairn', file: 'api', line: 1, column: 1 })
    expect((await catalog.get('search-errors'))?.objectivePercent).toBe(99)

    const replaced = await catalog.putFromApi('search-errors', spec('errors', 98, 'search'))
    expect(replaced.errors).toEqual([])
    expect(replaced.created).toBe(false)
    expect((await catalog.get('search-errors'))?.objectivePercent).toBe(98)

    expect(await catalog.putFromApi('checkout-availability', spec('availability', 90))).toEqual({ conflict: 'file-defined', errors: [] })
    expect(await catalog.deleteFromApi('checkout-availability')).toBe('file-defined')
    expect((await catalog.get('checkout-availability'))?.objectivePercent).toBe(99.5)

    const mismatch = await catalog.putFromApi('search-other', spec('errors', 99, 'search'))
    expect(mismatch.conflict).toBe('id-mismatch')
    expect(mismatch.errors.map(formatSpecError)).toEqual(['api:1:1: the document defines SLO "search-errors", not "search-other" (the id is <service>-<name>)'])

    const invalid = await catalog.putFromApi('search-errors', spec('errors', 101, 'search'))
    expect(invalid.errors.map(formatSpecError)).toEqual(['api:5:14: spec.objective: expected an objective above 0 and below 100 (percent) (got 101)'])
    expect((await catalog.get('search-errors'))?.objectivePercent).toBe(98)

    expect(await catalog.deleteFromApi('search-errors')).toBe('deleted')
    expect(await catalog.deleteFromApi('search-errors')).toBe('not-found')
    expect(await catalog.get('search-errors')).toBeUndefined()

    await catalog.putFromApi('search-latency', spec('latency', 95, 'search'))
    writeFileSync(join(sloDir, 'c.yaml'), spec('latency', 97, 'search'))
    await catalog.syncFiles()
    const taken = await catalog.get('search-latency')
    expect([taken?.objectivePercent, taken?.source.file]).toEqual([97, join(sloDir, 'c.yaml')])
    expect(await catalog.deleteFromApi('search-latency')).toBe('file-defined')
    expect((await catalog.list()).map((s) => s.id)).toEqual(['checkout-availability', 'search-latency'])
  })

  it('writes nothing when the files did not change', async () => {
    const catalog = createSloCatalog({ storage, sloDir, logger })
    await catalog.syncFiles()
    const count = async () => Number((await storage.query<{ n: string }>('SELECT count() AS n FROM cairn_slo_definitions'))[0]!.n)
    const before = await count()
    await catalog.syncFiles()
    await catalog.syncFiles()
    expect(await count()).toBe(before)
  })
})
