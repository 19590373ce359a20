import { join } from 'node:path'
import { afterAll, beforeAll } from 'vitest'
import { configSchema } from '../../config/index.ts'
import type { Storage } from '../../storage/index.ts'
import { createApi, createAuthorizer } from '../../api/index.ts'
import { createLogger } from '../../instrumentation/index.ts'
import type { SloCatalog } from '../../slo-engine/index.ts'
import { openMigratedStorage, seedCatalog } from './storage.ts'
import { tempDir } from './temp.ts'

// The attribution tests' setup: the API over a migrated embedded store whose
// catalog holds `specs`, with `seed`'s telemetry inserted; cleaned up after.

export interface AttributionFixture {
  storage: Storage
  catalog: SloCatalog
  /** GET `path` on the API: status and JSON body. */
  get(path: string): Promise<{ status: number; body: any }>
}

export function attributionFixture(specs: Record<string, string>, seed: (storage: Storage) => Promise<void>, ttlDays: Record<string, number> = {}): AttributionFixture {
  const dir = tempDir()
  const config = configSchema.parse({ storage: { dataDir: join(dir.path, 'data'), ttlDays } })
  let api: ReturnType<typeof createApi>
  const fx = {
    get: async (path: string) => {
      const res = await api.request(path)
      return { status: res.status, body: (await res.json()) as any }
    },
  } as AttributionFixture
  beforeAll(async () => {
    fx.storage = await openMigratedStorage(config)
    fx.catalog = await seedCatalog(fx.storage, join(dir.path, 'slos'), specs)
    api = createApi({ storage: fx.storage, logger: createLogger('silent'), auth: createAuthorizer([]), catalog: fx.catalog })
    await seed(fx.storage)
  })
  afterAll(async () => {
    await fx.storage?.close()
    dir.remove()
  })
  return fx
}

/** The dimension `key` of an attribution answer. */
export const dimensionOf = (body: any, key: string) => body.dimensions.find((d: any) => d.key === key)
