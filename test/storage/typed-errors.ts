import { expect } from 'vitest'
import { StorageBadDataError, StorageQueryError, StorageUnavailableError, rowBinary, type Storage } from '../../storage/index.ts'

// The failures storage/ must type the same way whatever the connection
// (embedded chDB, or a server over HTTP): run by the embedded and server tests.

async function failure(call: Promise<unknown>): Promise<Error & { code?: number }> {
  const err = await call.then(
    () => undefined,
    (e: unknown) => e as Error & { code?: number },
  )
  expect(err, 'the call should have failed').toBeDefined()
  return err!
}

/** Creates its own tables (prefixed `typed_`) in the storage's database and checks each class of failure. */
export async function expectTypedErrors(storage: Storage): Promise<void> {
  await storage.command('CREATE TABLE IF NOT EXISTS typed_days (d DateTime) ENGINE = MergeTree PARTITION BY toDate(d) ORDER BY d')
  // 150 distinct days in one insert: more partitions than max_partitions_per_insert_block (100).
  const days = Array.from({ length: 150 }, (_, i) => `${1_600_000_000 + i * 86_400}`).join('\n') + '\n'
  const partitions = await failure(storage.insertRaw('typed_days', 'TabSeparated', Buffer.from(days)))
  expect(partitions).toBeInstanceOf(StorageBadDataError)
  expect(partitions.code).toBe(252)
  expect(partitions.message).toContain('Too many partitions for single INSERT block')

  const text = await failure(storage.insertRaw('typed_days', 'TabSeparated', Buffer.from('not a time\n')))
  expect(text).toBeInstanceOf(StorageBadDataError)
  expect(text.message).toMatch(/DateTime/)

  const short = await failure(storage.insertRaw('typed_days', rowBinary(['d DateTime']), Buffer.from([1, 2])))
  expect(short).toBeInstanceOf(StorageBadDataError)
  expect(short.code).toBe(33)

  const syntax = await failure(storage.query('SELEC 1'))
  expect(syntax).toBeInstanceOf(StorageQueryError)
  expect(syntax.code).toBe(62)

  // The other TOO_MANY_PARTS: a partition with more parts than merges keep up with is overload, not bad data.
  await storage.command('CREATE TABLE IF NOT EXISTS typed_parts (n UInt8) ENGINE = MergeTree ORDER BY n SETTINGS parts_to_throw_insert = 2, parts_to_delay_insert = 1000')
  await storage.command('SYSTEM STOP MERGES typed_parts')
  await storage.insertRaw('typed_parts', 'TabSeparated', Buffer.from('1\n'))
  await storage.insertRaw('typed_parts', 'TabSeparated', Buffer.from('2\n'))
  const parts = await failure(storage.insertRaw('typed_parts', 'TabSeparated', Buffer.from('3\n')))
  expect(parts).toBeInstanceOf(StorageUnavailableError)
  expect(parts.code).toBe(252)
  expect(parts.message).toMatch(/Too many parts/)
  await storage.command('SYSTEM START MERGES typed_parts')
}
