import { Readable } from 'node:stream'
import type { ClickHouseClient, ClickHouseSettings } from '@clickhouse/client'

/** Formats a payload can be inserted in without building row objects in JS. */
export type RawInsertFormat = 'JSONEachRow' | 'JSONCompactEachRow' | 'TabSeparated' | 'CSV'

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
  /** Inserts a payload already encoded in `format`; resolves once the rows are written. */
  insertRaw(table: string, format: RawInsertFormat, payload: Buffer): Promise<void>
  /** Inserts row objects (JSONEachRow); for small writes such as evaluations and alert state. */
  insertRows(table: string, rows: readonly object[]): Promise<void>
  ping(): Promise<void>
  close(): Promise<void>
}

export type RawInserter = (table: string, format: RawInsertFormat, payload: Buffer) => Promise<void>

/** Settings every session uses, so results do not depend on the host's time zone or client defaults. */
export const SESSION_SETTINGS: ClickHouseSettings = {
  session_timezone: 'UTC',
  output_format_json_quote_64bit_integers: 1,
  date_time_input_format: 'best_effort',
}

/** The common implementation; the two connections differ only in how raw inserts travel. */
export class ClickHouseStorage implements Storage {
  constructor(
    readonly mode: 'embedded' | 'server',
    readonly client: ClickHouseClient,
    readonly database: string,
    readonly cluster: string | undefined,
    private readonly rawInsert: RawInserter,
  ) {}

  async query<T>(sql: string, params?: QueryParams, settings?: ClickHouseSettings): Promise<T[]> {
    const result = await this.client.query({ query: sql, query_params: params, format: 'JSONEachRow', clickhouse_settings: settings })
    return result.json<T>()
  }

  async command(sql: string, params?: QueryParams, settings?: ClickHouseSettings): Promise<void> {
    await this.client.command({ query: sql, query_params: params, clickhouse_settings: settings })
  }

  insertRaw(table: string, format: RawInsertFormat, payload: Buffer): Promise<void> {
    if (payload.length === 0) return Promise.resolve()
    return this.rawInsert(table, format, payload)
  }

  insertRows(table: string, rows: readonly object[]): Promise<void> {
    if (rows.length === 0) return Promise.resolve()
    const body = rows.map((r) => JSON.stringify(r)).join('\n') + '\n'
    return this.insertRaw(table, 'JSONEachRow', Buffer.from(body))
  }

  async ping(): Promise<void> {
    const result = await this.client.ping()
    if (!result.success) throw result.error
  }

  close(): Promise<void> {
    return this.client.close()
  }
}

/** Raw insert over HTTP: the payload is streamed as the request body of an INSERT … FORMAT. */
export function httpRawInserter(client: ClickHouseClient): RawInserter {
  return async (table, format, payload) => {
    const result = await client.exec({ query: `INSERT INTO ${quoteIdentifier(table)} FORMAT ${format}`, values: Readable.from([payload]) })
    result.stream.resume()
    await new Promise<void>((resolve, reject) => {
      result.stream.once('end', resolve)
      result.stream.once('error', reject)
    })
  }
}

export function quoteIdentifier(name: string): string {
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) throw new Error(`invalid identifier ${JSON.stringify(name)}`)
  return `\`${name}\``
}
