import { afterAll, beforeAll, describe, it } from 'vitest'
import { configSchema } from '../../config/index.ts'
import { openStorage, type Storage } from '../../storage/index.ts'
import { tempDir } from '../support/temp.ts'
import { expectTypedErrors } from './typed-errors.ts'

// Typed storage errors from the embedded engine (server mode: server-mode.test.ts).
const dir = tempDir()
let storage: Storage
beforeAll(async () => {
  storage = await openStorage(configSchema.parse({ storage: { dataDir: dir.path } }).storage)
})
afterAll(async () => {
  await storage?.close()
  dir.remove()
})

describe('embedded storage errors', () => {
  it('types bad data, overload and wrong statements by their ClickHouse code', async () => {
    await expectTypedErrors(storage)
  })
})
