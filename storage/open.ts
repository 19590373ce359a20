import { mkdirSync } from 'node:fs'
import { resolve } from 'node:path'
import { createClient } from '@clickhouse/client'
// Types only: the engine's library (about 140 MiB of RSS once loaded) is
// loaded by openEmbedded, so processes on a ClickHouse server never map it.
import type { createChdbConnection } from 'chdb/connection'
import type { StorageConfig } from '../config/index.ts'
import type { Logger } from '../instrumentation/index.ts'
import { configureEmbeddedAllocator } from './allocator.ts'
import { clientLoggerClass } from './client-log.ts'
import { ClickHouseStorage, SESSION_SETTINGS, httpRawInserter, type Storage } from './storage.ts'
import { StorageError, StorageUnavailableError } from './errors.ts'
import { embeddedRawInserter } from './embedded-insert.ts'

/**
 * Opens the store the config names: a ClickHouse server when `clickhouse.url`
 * is set, the embedded engine in `dataDir` otherwise. Fails with a
 * StorageUnavailableError whose message says what to fix.
 */
export async function openStorage(config: StorageConfig, logger?: Logger): Promise<Storage> {
  const log = { LoggerClass: clientLoggerClass(logger) }
  return config.clickhouse.url ? openServer(config, log) : openEmbedded(config.dataDir, log)
}

type ClientLog = { LoggerClass: ReturnType<typeof clientLoggerClass> }

async function openEmbedded(dataDir: string, log: ClientLog): Promise<Storage> {
  const path = resolve(dataDir)
  try {
    mkdirSync(path, { recursive: true })
  } catch (err) {
    throw new StorageUnavailableError(`cannot create the data directory ${path}: ${(err as Error).message}`, { cause: err })
  }
  let chdb: { createChdbConnection: typeof createChdbConnection }
  try {
    configureEmbeddedAllocator()
    chdb = await import('chdb/connection')
  } catch (err) {
    throw new StorageUnavailableError(
      `the embedded ClickHouse engine (the chdb package) cannot load here: ${(err as Error).message}; set CAIRN_CLICKHOUSE_URL to use a ClickHouse server instead`,
      { cause: err },
    )
  }
  let connection: ReturnType<typeof createChdbConnection>
  try {
    connection = chdb.createChdbConnection({ path })
  } catch (err) {
    throw new StorageUnavailableError(
      `cannot open the embedded store in ${path}: ${(err as Error).message} (only one cairn process may use a data directory)`,
      { cause: err },
    )
  }
  // chdb types its connection against its own copy of @clickhouse/client-common;
  // the shapes are the same, the declarations are not the same objects.
  type ClientConnection = NonNullable<Parameters<typeof createClient>[0]>['connection']
  const client = createClient({ connection: connection as unknown as ClientConnection, clickhouse_settings: SESSION_SETTINGS, log })
  const storage = new ClickHouseStorage('embedded', client, 'default', undefined, embeddedRawInserter(connection, client))
  await checkReachable(storage, `the embedded store in ${path}`)
  return storage
}

async function openServer(config: StorageConfig, log: ClientLog): Promise<Storage> {
  const ch = config.clickhouse
  const url = ch.url!
  const common = {
    url,
    username: ch.user,
    password: ch.password,
    request_timeout: ch.requestTimeoutMs,
    clickhouse_settings: SESSION_SETTINGS,
    compression: { request: true, response: true },
    log,
  }
  // The database may not exist yet: create it through a client bound to none.
  const bootstrap = createClient(common)
  try {
    await checkReachable(new ClickHouseStorage('server', bootstrap, 'default', ch.cluster, httpRawInserter(bootstrap)), `ClickHouse at ${url}`)
    const onCluster = ch.cluster ? ` ON CLUSTER \`${ch.cluster}\`` : ''
    await bootstrap.command({ query: `CREATE DATABASE IF NOT EXISTS \`${ch.database}\`${onCluster}` })
  } finally {
    await bootstrap.close()
  }
  const client = createClient({ ...common, database: ch.database })
  return new ClickHouseStorage('server', client, ch.database, ch.cluster, httpRawInserter(client))
}

async function checkReachable(storage: Storage, what: string): Promise<void> {
  try {
    await storage.ping()
    await storage.query('SELECT 1')
  } catch (err) {
    await storage.close().catch(() => undefined)
    throw new StorageUnavailableError(`cannot reach ${what}: ${describe(err)}`, { cause: err })
  }
}

function describe(err: unknown): string {
  const original = err instanceof StorageError ? err.cause : err
  const e = original as NodeJS.ErrnoException & { cause?: NodeJS.ErrnoException }
  const code = e.code ?? e.cause?.code
  if (code === 'ECONNREFUSED') return 'connection refused (is the server running and the URL right?)'
  if (code === 'ENOTFOUND') return 'host not found'
  if (code === 'ETIMEDOUT' || /timeout/i.test(e.message ?? '')) return 'timed out'
  return e.message?.split('\n')[0] ?? String(err)
}
