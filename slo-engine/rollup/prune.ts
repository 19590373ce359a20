import { ddlTarget, localTableName, quoteIdentifier, type Storage } from '../../storage/index.ts'
import { ENGINE_TABLES } from '../tables.ts'

/**
 * Drops the monthly rollup partitions that end before every SLO's rollup
 * epoch: no window of any SLO can reach them any more. (The rollups have no
 * TTL, so that no fixed age ever cuts a long calendar window short.) Returns
 * the partitions dropped.
 */
export async function pruneRollups(storage: Storage, oldestEpochSeconds: number): Promise<string[]> {
  const target = ddlTarget(storage)
  const table = localTableName(ENGINE_TABLES.rollups, target)
  const rows = await storage.query<{ partition: string }>(
    'SELECT DISTINCT partition FROM system.parts WHERE database = currentDatabase() AND table = {table:String} AND active',
    { table },
  )
  const keepFrom = new Date(oldestEpochSeconds * 1000)
  const keepMonth = keepFrom.getUTCFullYear() * 100 + keepFrom.getUTCMonth() + 1
  // Partition ids come from system.parts and are checked to be YYYYMM before they reach the statement.
  const old = rows.map((r) => r.partition).filter((p) => /^\d{6}$/.test(p) && Number(p) < keepMonth)
  const onCluster = target.cluster ? ` ON CLUSTER \`${target.cluster}\`` : ''
  for (const p of old) await storage.command(`ALTER TABLE ${quoteIdentifier(table)}${onCluster} DROP PARTITION ${p}`)
  return old
}
