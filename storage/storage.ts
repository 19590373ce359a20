import { createReadStream } from 'node:fs'
import { Readable } from 'node:stream'
import type { ClickHouseClient, ClickHouseSettings } from '@clickhouse/client'
import { StorageQueryError, typed } from './errors.ts'

/** Text formats a payload can be inserted in without building row objects in JS. */
export type TextInsertFormat = 'JSONEachRow' | 'JSONCompactEachRow' | 'TabSeparated' | 'CSV'

/**
 * ClickHouse's RowBinary: each row is its columns' values back to back, in
 * `columns` order, each encoded as its declared type (the table's column types
 * may differ: the engine converts). The cheapest format for the engine to read,
 * and the columns are named, not taken by position.
 */
export interface RowBinaryFormat {
  readonly name: 'RowBinary'
  readonly columns: readonly RowBinaryColumn[]
}

export interface RowBinaryColumn {
  readonly name: string
  readonly type: string
}

export type RawInsertFormat = TextInsertFormat | RowBinaryFormat

const COLUMN_NAME = /^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$/
const COLUMN_TYPE = /^[A-Za-z][A-Za-z0-9_]*(\([A-Za-z0-9_(), ]*\))?$/

/**
 * The RowBinary format of columns declared as `Name Type` (the form TableDef
 * columns use, e.g. `Events.Timestamp Array(DateTime64(9))`). Names are
 * identifiers, dotted for Nested subcolumns; types are checked for a safe shape.
 */
export function rowBinary(declarations: readonly string[]): RowBinaryFormat {
  if (declarations.length === 0) throw new Error('RowBinary needs at least one column')
  const columns = declarations.map((declaration) => {
    const space = declaration.indexOf(' ')
    const name = declaration.slice(0, space).replace(/`/g, '')
    const type = declaration.slice(space + 1).trim()
    if (space <= 0 || !COLUMN_NAME.test(name)) throw new Error(`invalid column name in ${JSON.stringify(declaration)}`)
    if (!COLUMN_TYPE.test(type)) throw new Error(`invalid column type in ${JSON.stringify(declaration)}`)
    return { name, type }
  })
  return { name: 'RowBinary', columns }
}

/** `(\`a\`, \`Events.Timestamp\`)`: the column list of an INSERT. */
export function columnList(format: RowBinaryFormat): string {
  return `(${format.columns.map((c) => `\`${c.name}\``).join(', ')})`
}

/** `\`a\` String, …`: the structure argument of a table function reading the rows. */
export function columnStructure(format: RowBinaryFormat): string {
  return format.columns.map((c) => `\`${c.name}\` ${c.type}`).join(', ')
}

export type QueryParams = Record<string, unknown>

/**
 * The one door to ClickHouse. Everything above storage/ reads and writes through
 * this interface and never learns whether the engine is embedded or a server.
 * Table names are unqualified: they resolve in the configured database.
 */
export interface Storage {
  readonly mode: 'embedded' | 'server'
  readonly database: string
  /** Set when DDL must run ON CLUSTER with Replicated + Distributed tables. */
  readonly cluster: string | undefined
  /** The underlying @clickhouse/client, for streaming reads and other advanced use. */
  readonly client: ClickHouseClient
  /** Runs a SELECT with `{name:Type}` parameters bound by the engine; returns the rows. */
  query<T = Record<string, unknown>>(sql: string, params?: QueryParams, settings?: ClickHouseSettings): Promise<T[]>
  /** Runs a statement that returns no rows (DDL, INSERT … SELECT, ALTER). */
  command(sql: string, params?: QueryParams, settings?: ClickHouseSettings): Promise<void>
  /**
   * Inserts a payload already encoded in `format` (a text format, or RowBinary
   * of named columns, see `rowBinary`); resolves once the rows are written.
   */
  insertRaw(table: string, format: RawInsertFormat, payload: Buffer): Promise<void>
  /**
   * Inserts RowBinary rows read from bytes [start, end) of a file, without
   * loading them into memory (the collector's write-ahead queue), with the
   * statement's own `settings` (e.g. insert_deduplication_token).
   */
  insertRawFile(table: string, format: RowBinaryFormat, file: FileRange, settings?: ClickHouseSettings): Promise<void>
  /** Inserts row objects (JSONEachRow); for small writes such as evaluations and alert state. */
  insertRows(table: string, rows: readonly object[]): Promise<void>
  ping(): Promise<void>
  close(): Promise<void>
}

export type RawInserter = (table: string, format: RawInsertFormat, payload: Buffer) => Promise<void>

/** Bytes [start, end) of a file. */
export interface FileRange {
  path: string
  start: number
  end: number
}

export type FileInserter = (table: string, format: RowBinaryFormat, file: FileRange, settings: ClickHouseSettings) => Promise<void>

/** How a connection inserts raw payloads and files, and what it releases on close. */
export interface RawInsertPath {
  insert: RawInserter
  insertFile: FileInserter
  close?(): void
}

/** Settings every session uses, so results do not depend on the host's time zone or client defaults. */
export const SESSION_SETTINGS: ClickHouseSettings = {
  session_timezone: 'UTC',
  output_format_json_quote_64bit_integers: 1,
  date_time_input_format: 'best_effort',
}

/** `sql` with `settings` as its trailing SETTINGS clause (a statement's own settings, gone after it). */
export function withSettingsClause(sql: string, settings: ClickHouseSettings): string {
  const pairs = Object.entries(settings)
    .filter(([, value]) => value !== undefined)
    .map(([name, value]) => {
      if (!/^\w+$/.test(name)) throw new StorageQueryError(`not a ClickHouse setting name: ${JSON.stringify(name)}`)
      return `${name} = ${settingLiteral(value)}`
    })
  return pairs.length === 0 ? sql : `${sql.trimEnd().replace(/;$/, '')}\nSETTINGS ${pairs.join(', ')}`
}

function settingLiteral(value: unknown): string {
  if (typeof value === 'number' && Number.isFinite(value)) return String(value)
  if (typeof value === 'boolean') return value ? '1' : '0'
  return `'${String(value).replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`
}

/**
 * The common implementation; the two connections differ only in how raw inserts
 * travel. Every call fails with a typed error of errors.ts, whatever the connection.
 */
export class ClickHouseStorage implements Storage {
  constructor(
    readonly mode: 'embedded' | 'server',
    readonly client: ClickHouseClient,
    readonly database: string,
    readonly cluster: string | undefined,
    private readonly raw: RawInsertPath,
  ) {}

  query<T>(sql: string, params?: QueryParams, settings?: ClickHouseSettings): Promise<T[]> {
    return typed(async () => {
      const result = await this.client.query({ query: this.statement(sql, settings), query_params: params, format: 'JSONEachRow', clickhouse_settings: this.sent(settings) })
      return result.json<T>()
    })
  }

  command(sql: string, params?: QueryParams, settings?: ClickHouseSettings): Promise<void> {
    return typed(async () => {
      await this.client.command({ query: this.statement(sql, settings), query_params: params, clickhouse_settings: this.sent(settings) })
    })
  }

  // chDB runs every statement of the process in one session, and the client
  // applies a call's settings there as SET statements, which outlive the call:
  // one read-only read would leave every later insert refused. Embedded, a
  // call's settings go in the statement's own SETTINGS clause instead.
  private statement(sql: string, settings: ClickHouseSettings | undefined): string {
    return this.mode === 'embedded' && settings ? withSettingsClause(sql, settings) : sql
  }

  private sent(settings: ClickHouseSettings | undefined): ClickHouseSettings | undefined {
    return this.mode === 'embedded' ? undefined : settings
  }

  insertRaw(table: string, format: RawInsertFormat, payload: Buffer): Promise<void> {
    if (payload.length === 0) return Promise.resolve()
    return typed(() => this.raw.insert(table, format, payload))
  }

  insertRawFile(table: string, format: RowBinaryFormat, file: FileRange, settings: ClickHouseSettings = {}): Promise<void> {
    if (file.end <= file.start) return Promise.resolve()
    return typed(() => this.raw.insertFile(table, format, file, settings))
  }

  insertRows(table: string, rows: readonly object[]): Promise<void> {
    if (rows.length === 0) return Promise.resolve()
    const body = rows.map((r) => JSON.stringify(r)).join('\n') + '\n'
    return this.insertRaw(table, 'JSONEachRow', Buffer.from(body))
  }

  ping(): Promise<void> {
    return typed(async () => {
      const result = await this.client.ping()
      if (!result.success) throw result.error
    })
  }

  async close(): Promise<void> {
    try {
      await this.client.close()
    } finally {
      this.raw.close?.()
    }
  }
}

/** Raw insert over HTTP: the payload is streamed as the request body of an INSERT … FORMAT. */
export function httpRawInserter(client: ClickHouseClient): RawInsertPath {
  const send = async (query: string, values: Readable, settings?: ClickHouseSettings) => {
    const result = await client.exec({ query, values, clickhouse_settings: settings })
    result.stream.resume()
    await new Promise<void>((resolve, reject) => {
      result.stream.once('end', resolve)
      result.stream.once('error', reject)
    })
  }
  const insert: RawInserter = async (table, format, payload) => {
    const target = typeof format === 'string' ? `${quoteIdentifier(table)} FORMAT ${format}` : `${quoteIdentifier(table)} ${columnList(format)} FORMAT RowBinary`
    await send(`INSERT INTO ${target}`, Readable.from([payload]))
  }
  // The file is streamed as the request body: its rows never sit in memory whole.
  const insertFile: FileInserter = (table, format, file, settings) =>
    send(`INSERT INTO ${quoteIdentifier(table)} ${columnList(format)} FORMAT RowBinary`, createReadStream(file.path, { start: file.start, end: file.end - 1 }), settings)
  return { insert, insertFile }
}

export function quoteIdentifier(name: string): string {
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) throw new Error(`invalid identifier ${JSON.stringify(name)}`)
  return `\`${name}\``
}

/** A ClickHouse string literal; only for values the process made itself (see embedded-insert.ts). */
export function quoteString(value: string): string {
  return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`
}
