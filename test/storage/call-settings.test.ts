import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { configSchema } from '../../config/index.ts'
import { clickhouseErrorCode, openStorage, type Storage } from '../../storage/index.ts'
import { withSettingsClause } from '../../storage/storage.ts'
import { tempDir } from '../support/temp.ts'

// chDB runs the whole process in one session: a call's settings must end with the call.
const dir = tempDir()
let storage: Storage
beforeAll(async () => {
  storage = await openStorage(configSchema.parse({ storage: { dataDir: dir.path } }).storage)
  await storage.command('CREATE TABLE call_settings (x UInt8) ENGINE = Memory')
})
afterAll(async () => {
  await storage?.close()
  dir.remove()
})

const READ_ONLY = { readonly: '2', max_threads: 1, max_execution_time: 5 } as const

describe('settings of one call on the embedded store', () => {
  it('apply to that call: a read-only call cannot write', async () => {
    expect(await storage.query("SELECT getSetting('readonly') AS r, getSetting('max_threads') AS t", {}, READ_ONLY)).toEqual([{ r: 2, t: 1 }])
    const refused = await storage.query('INSERT INTO call_settings SELECT 1', {}, READ_ONLY).catch((e: unknown) => e)
    expect(clickhouseErrorCode(refused)).toBe(164) // READONLY
  })

  it('do not outlive it: later calls write and run with the session defaults', async () => {
    await storage.query('SELECT 1', {}, READ_ONLY)
    await storage.command('INSERT INTO call_settings VALUES (7)')
    expect(await storage.query("SELECT getSetting('readonly') AS r, count() AS n FROM call_settings")).toEqual([{ r: 0, n: '1' }])
  })

  it('are written as a SETTINGS clause with quoted values, and refuse what is not a setting name', () => {
    expect(withSettingsClause('SELECT 1;', { readonly: '2', max_threads: 2, use_query_cache: true } as never)).toBe("SELECT 1\nSETTINGS readonly = '2', max_threads = 2, use_query_cache = 1")
    expect(withSettingsClause('SELECT 1', { log_comment: "it's" })).toBe("SELECT 1\nSETTINGS log_comment = 'it\\'s'")
    expect(() => withSettingsClause('SELECT 1', { 'x = 1; DROP': 1 } as never)).toThrow(/not a ClickHouse setting name/)
  })
})
