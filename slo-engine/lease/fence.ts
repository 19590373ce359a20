import { StorageError, type Storage } from '../../storage/index.ts'
import type { Leadership } from './lease.ts'

// Fencing the engine's writes: a replica that lost the lease in the middle of
// a tick (ClickHouse slow to answer its renewals, a long pause) must not write
// rollups, evaluations or alert state over those of the replica that leads
// now. Every write of the fenced storage first checks that this replica still
// holds the epoch its work began under; reads pass through.

/** A write refused because this replica no longer holds the lease epoch its work began under. */
export class NotLeaderError extends StorageError {}

/** `storage` whose writes are refused unless `leadership` holds the epoch `allowed()` names. */
export function fencedStorage(storage: Storage, leadership: Leadership, allowed: () => number | undefined): Storage {
  const check = () => {
    const want = allowed()
    const have = leadership.epoch()
    if (want === undefined || have !== want) {
      throw new NotLeaderError(`not the engine leader any more (lease epoch ${want ?? 'none'}${have === undefined ? ' lost' : `, now ${have}`}): write refused, the leading replica writes instead`)
    }
  }
  return {
    mode: storage.mode,
    database: storage.database,
    cluster: storage.cluster,
    client: storage.client,
    query: (sql, params, settings) => storage.query(sql, params, settings),
    command: async (sql, params, settings) => {
      check()
      return storage.command(sql, params, settings)
    },
    insertRaw: async (table, format, payload) => {
      check()
      return storage.insertRaw(table, format, payload)
    },
    insertRows: async (table, rows) => {
      check()
      return storage.insertRows(table, rows)
    },
    insertRawFile: async (table, format, file, settings) => {
      check()
      return storage.insertRawFile(table, format, file, settings)
    },
    ping: () => storage.ping(),
    close: () => storage.close(),
  }
}
