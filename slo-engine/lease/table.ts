import { createTablesMigration, type Migration, type TableDef } from '../../storage/index.ts'

// cairn_engine_lease: who leads the engine replicas (docs/replicas.md). One
// row per write of a claim: the claim of an epoch, then its renewals and its
// release. ClickHouse has no compare-and-swap; the claim of
// epoch N is an insert with the deduplication token `<name>/N`, and the
// table's deduplication window keeps the first such insert only, so of two
// replicas claiming epoch N at once exactly one row is stored: its claim_id
// is the winner, and every replica reads the same one back.
//
// Times are the ClickHouse server's (now64 at insert), never a replica's, so
// clock skew between replicas cannot make two of them think they lead.
// ReplacingMergeTree keeps the last write of each claim once merged; readers
// take argMax(…, written_at) so the answer is right before merges too. Rows
// grow by one claim per takeover and are never deleted: epochs must never be
// reused (a reused token would be deduplicated away).

export const LEASE_TABLE = 'cairn_engine_lease'

const LEASE: TableDef = {
  name: LEASE_TABLE,
  columns: [
    'name LowCardinality(String)',
    'epoch UInt64',
    // A random id per claim: two replicas configured with the same replica id still never share a claim.
    'claim_id String',
    // The replica id (CAIRN_ENGINE_REPLICA_ID, default host:pid), for people.
    'holder String',
    'ttl_ms UInt32',
    'written_at DateTime64(3) DEFAULT now64(3)',
    'expires_at DateTime64(3) DEFAULT written_at + toIntervalMillisecond(ttl_ms)',
  ],
  engine: 'ReplacingMergeTree',
  engineArgs: ['written_at'],
  orderBy: '(name, epoch, claim_id)',
  // A single-node MergeTree deduplicates inserts only within this window (Replicated tables have their own, 1000 by default).
  settings: { non_replicated_deduplication_window: 1000 },
  // One shard holds every row of a lease: the claim's deduplication happens in one place.
  shardingKey: 'cityHash64(name)',
}

export const leaseMigrations: Migration[] = [createTablesMigration('slo-engine/lease_001', 'engine lease: which engine replica runs the ticks and sends notifications', () => [LEASE])]
