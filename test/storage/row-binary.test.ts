// RowBinary raw inserts on the embedded engine: named columns in any order,
// bytes stored as they are, the temporary files removed after each insert and
// their directory on close.
import { readdirSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { configSchema } from '../../config/index.ts'
import { openStorage, rowBinary, type Storage } from '../../storage/index.ts'
import { tempDir } from '../support/temp.ts'
import { ROW_BINARY_COLUMNS, ROW_BINARY_TABLE_DDL, expectStoredRows, rowBinaryPayload } from './row-binary-rows.ts'

const dir = tempDir()
// The insert files go under TMPDIR: point it at this test's own directory to watch them.
const tmp = tempDir()
let storage: Storage

/** Opens storage on the test's data directory with TMPDIR pointing at `tmp`. */
async function openWatched(): Promise<Storage> {
  const saved = process.env.TMPDIR
  process.env.TMPDIR = tmp.path
  try {
    return await openStorage(configSchema.parse({ storage: { dataDir: dir.path } }).storage)
  } finally {
    if (saved === undefined) delete process.env.TMPDIR
    else process.env.TMPDIR = saved
  }
}

beforeAll(async () => {
  storage = await openWatched()
  await storage.command(ROW_BINARY_TABLE_DDL)
})
afterAll(async () => {
  await storage?.close()
  dir.remove()
  tmp.remove()
})

const insertDirs = () => readdirSync(tmp.path).filter((d) => d.startsWith('cairn-insert-'))

describe('RowBinary inserts on the embedded engine', () => {
  it('stores the named columns exactly, the rest get their defaults, and no file is left behind', async () => {
    await storage.insertRaw('rb', rowBinary(ROW_BINARY_COLUMNS), rowBinaryPayload())
    await expectStoredRows((sql) => storage.query(sql))
    expect(insertDirs()).toHaveLength(1)
    expect(readdirSync(join(tmp.path, insertDirs()[0]!))).toEqual([])
  })

  it('fails a malformed payload with the engine error, stores nothing of it, and removes its file', async () => {
    const before = await storage.query<{ n: string }>('SELECT count() AS n FROM rb')
    const truncated = rowBinaryPayload().subarray(0, 20)
    await expect(storage.insertRaw('rb', rowBinary(ROW_BINARY_COLUMNS), truncated)).rejects.toThrow(/Cannot read all data|EOF|ATTEMPT_TO_READ_AFTER_EOF/i)
    expect(await storage.query('SELECT count() AS n FROM rb')).toEqual(before)
    expect(readdirSync(join(tmp.path, insertDirs()[0]!))).toEqual([])
  })

  it('refuses column declarations that are not a name and a type', () => {
    expect(() => rowBinary(['Name String', 'x; DROP TABLE rb String'])).toThrow(/invalid column name/)
    expect(() => rowBinary(['Name String) ENGINE = Log'])).toThrow(/invalid column type/)
    expect(() => rowBinary([])).toThrow(/at least one column/)
    expect(rowBinary(['`Events.Name` Array(LowCardinality(String))']).columns).toEqual([{ name: 'Events.Name', type: 'Array(LowCardinality(String))' }])
  })

  it('removes its temporary directory on close', async () => {
    // chDB opens one data directory per process: a second storage on the same directory shares the engine.
    const second = await openWatched()
    expect(insertDirs()).toHaveLength(2)
    await second.close()
    expect(insertDirs()).toHaveLength(1)
  })
})
