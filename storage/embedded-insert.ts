import { mkdtempSync, rmSync } from 'node:fs'
import { createReadStream, createWriteStream } from 'node:fs'
import { stat, unlink, writeFile } from 'node:fs/promises'
import { pipeline } from 'node:stream/promises'
import type { ClickHouseSettings } from '@clickhouse/client'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { ClickHouseClient } from '@clickhouse/client'
import type { createChdbConnection } from 'chdb/connection'
import { columnList, columnStructure, quoteIdentifier, quoteString, withSettingsClause, type FileRange, type RawInsertPath, type RowBinaryFormat } from './storage.ts'

type ChdbConnection = ReturnType<typeof createChdbConnection>

/**
 * Raw inserts into the embedded engine. Text formats go through chDB's raw
 * insert (the payload handed over without copying). RowBinary, which that call
 * does not accept, is written to a file in a temporary directory of this
 * process and read by the engine with `INSERT … SELECT FROM file()`: reading
 * RowBinary costs the engine about half of what parsing the same rows as
 * TabSeparated does. Each file is removed after its insert, the directory on close.
 *
 * The path and structure are written into the statement as literals, not bound
 * as parameters: chDB runs every parameterized query of the process one at a
 * time (its binding is not thread-safe), so bound inserts would wait behind each
 * other and behind every other component's queries. Both values are made here:
 * a path in our own directory, and column declarations `rowBinary` checked.
 */
export function embeddedRawInserter(connection: ChdbConnection, client: ClickHouseClient): RawInsertPath {
  const dir = mkdtempSync(join(tmpdir(), 'cairn-insert-'))
  let serial = 0
  const insertPath = async (table: string, format: RowBinaryFormat, path: string, settings: ClickHouseSettings = {}) => {
    await client.command({
      query: withSettingsClause(`INSERT INTO ${quoteIdentifier(table)} ${columnList(format)} SELECT * FROM file(${quoteString(path)}, 'RowBinary', ${quoteString(columnStructure(format))})`, settings),
    })
  }
  const insertRowBinary = async (table: string, format: RowBinaryFormat, payload: Buffer) => {
    const path = join(dir, `${++serial}.rowbinary`)
    await writeFile(path, payload)
    try {
      await insertPath(table, format, path)
    } finally {
      await unlink(path).catch(() => undefined)
    }
  }
  // A whole file is read where it is; part of one is copied out first, since file() reads whole files.
  const insertFile = async (table: string, format: RowBinaryFormat, file: FileRange, settings: ClickHouseSettings) => {
    if (file.start === 0 && (await stat(file.path)).size === file.end) {
      await insertPath(table, format, file.path, settings)
      return
    }
    const path = join(dir, `${++serial}.rowbinary`)
    try {
      await pipeline(createReadStream(file.path, { start: file.start, end: file.end - 1 }), createWriteStream(path))
      await insertPath(table, format, path, settings)
    } finally {
      await unlink(path).catch(() => undefined)
    }
  }
  return {
    insert: async (table, format, payload) => {
      if (typeof format === 'string') await connection.chdb.rawInsert({ table, format, values: payload })
      else await insertRowBinary(table, format, payload)
    },
    insertFile,
    close: () => rmSync(dir, { recursive: true, force: true }),
  }
}
