// One measured run of bench/ingest for one signal, in a fresh process (chDB
// allows one data directory per process): starts the collector on the
// embedded store, drives it from a separate sender process, then measures on
// the same rows: the bytes on disk; the engine alone writing the very batches
// the collector wrote (replayed one after another, as the collector does, with
// no HTTP and no decoding); and the engine's ceiling (one INSERT … SELECT from
// memory, no parsing; the median of three). Prints one JSON line.
// With the durable queue (mode disk) senders are answered once their rows are
// on disk; end to end still runs until the last row is in ClickHouse (the
// queue has drained).
// Usage: ingest-run.ts <traces|logs|metrics|remote_write> <requests> <concurrency> <items per request> <disk|off>
import { execFile } from 'node:child_process'
import { createReadStream, createWriteStream, linkSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { pipeline } from 'node:stream/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { configSchema } from '../config/index.ts'
import { createLogger, createMetricsRegistry } from '../instrumentation/index.ts'
import { migrate, openStorage, otelTables, OTEL_TABLES, type RawInsertFormat } from '../storage/index.ts'
import { allMigrations } from '../cli/index.ts'
import { createCollector } from '../collector/index.ts'
import { createIsolation } from '../isolation/index.ts'
import { tempDir } from '../test/support/temp.ts'
import { cpuPerItem, sampleMemory, threadCpuSeconds } from './process-probe.ts'

const [signal, requests, concurrency, perRequest = '512', mode = 'disk'] = process.argv.slice(2) as ['traces' | 'logs' | 'metrics' | 'remote_write', string, string, string?, ('disk' | 'off')?]
const TABLES: Record<string, string[]> = {
  traces: [OTEL_TABLES.traces],
  logs: [OTEL_TABLES.logs],
  metrics: [OTEL_TABLES.sum, OTEL_TABLES.histogram, OTEL_TABLES.gauge],
  remote_write: [OTEL_TABLES.sum, OTEL_TABLES.gauge],
}

const dir = tempDir('cairn-bench-')
const config = configSchema.parse({ storage: { dataDir: dir.path, ttlDays: { traces: 0, logs: 0, metrics: 0 } } })
const storage = await openStorage(config.storage)
await migrate(storage, allMigrations(config), otelTables(config.storage.ttlDays))
// Keep every batch the collector writes, for the replay: on disk, so that the
// copies do not count in the collector's peak RSS.
const spool = tempDir('cairn-bench-batches-')
const batches: { table: string; format: RawInsertFormat; file: string }[] = []
const insertRaw = storage.insertRaw.bind(storage)
storage.insertRaw = (table, format, payload) => {
  const file = join(spool.path, String(batches.length))
  writeFileSync(file, payload)
  batches.push({ table, format, file })
  return insertRaw(table, format, payload)
}
// The queue's inserts read segment files: kept by a hard link (a range: copied by a stream), not through this heap.
const insertRawFile = storage.insertRawFile.bind(storage)
storage.insertRawFile = async (table, format, range, settings) => {
  const file = join(spool.path, String(batches.length))
  batches.push({ table, format, file })
  // A whole segment is kept by a second link (no copy in the measured window); a part of one is copied.
  if (range.start === 0 && range.end === statSync(range.path).size) linkSync(range.path, file)
  else await pipeline(createReadStream(range.path, { start: range.start, end: range.end - 1 }), createWriteStream(file))
  return insertRawFile(table, format, range, settings)
}
const registry = createMetricsRegistry()
const queueDir = tempDir('cairn-bench-queue-')
// The bench's own parse workers, closed last: terminating them before the
// engine's queries below crashed the process (chDB, Node 20).
const isolation = createIsolation()
const collector = createCollector({
  isolation,
  // BENCH_COLLECTOR: collector keys as JSON, to measure alternatives (e.g. {"batchMaxRows":50000}).
  config: configSchema.parse({ collector: { port: 0, ...JSON.parse(process.env.BENCH_COLLECTOR ?? '{}'), queue: { mode } } }).collector,
  host: '127.0.0.1',
  storage,
  logger: createLogger('warn'),
  registry,
  queueDir: queueDir.path,
})
const port = await collector.start()

// BENCH_MEMORY=1: where the peak RSS is (stderr). CPU by thread is always measured.
const memory = process.env.BENCH_MEMORY ? sampleMemory((sql) => storage.query(sql)) : undefined
const cpuBefore = threadCpuSeconds()

const load = fileURLToPath(new URL('./ingest-load.ts', import.meta.url))
const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', load, `http://127.0.0.1:${port}`, signal, requests, concurrency, perRequest], { maxBuffer: 1 << 20 })
const sent = JSON.parse(stdout) as { items: number; seconds: number; startedAtMs: number; failed: number; bodyBytes: number; itemsPerRequest: number }
// End to end: until the last row is in ClickHouse (with the queue, once it has drained).
while ((collector.queue()?.stats.rows ?? 0) > 0) await new Promise((r) => setTimeout(r, 5))
const endToEndSeconds = mode === 'disk' ? (Date.now() - sent.startedAtMs) / 1000 : sent.seconds
const cpu = cpuPerItem(cpuBefore, threadCpuSeconds(), sent.items)
memory?.stop()
await collector.stop()
queueDir.remove()
if (process.env.BENCH_DEBUG) process.stderr.write((await registry.metrics()).split('\n').filter((l) => /cairn_collector_(batch_rows|flush_duration_seconds)_(sum|count)/.test(l)).join('\n') + '\n')
const peakRssBytes = process.resourceUsage().maxRSS * 1024
const step = (what: string) => process.env.BENCH_DEBUG && process.stderr.write(`${new Date().toISOString()} ${what}\n`)
step('collector stopped')

const count = async (table: string) => Number((await storage.query<{ n: string }>(`SELECT count() AS n FROM ${table}`))[0]!.n)
let stored = 0
for (const t of TABLES[signal]!) stored += await count(t)
step('counted')

// Bytes on disk per item once merged (a steady state), before the ceiling doubles the rows.
let bytesOnDisk = 0
for (const t of TABLES[signal]!) {
  await storage.command(`OPTIMIZE TABLE ${t} FINAL`)
  step(`optimized ${t}`)
  const [row] = await storage.query<{ b: string }>('SELECT sum(bytes_on_disk) AS b FROM system.parts WHERE active AND table = {t:String}', { t })
  bytesOnDisk += Number(row!.b)
}

step('optimized')
// The engine alone: the same batches written again into emptied tables, one
// at a time per table and tables side by side, as the collector writes them.
for (const t of TABLES[signal]!) await storage.command(`TRUNCATE TABLE ${t}`)
const byTable = new Map<string, { table: string; format: RawInsertFormat; payload: Buffer }[]>()
for (const b of batches) byTable.set(b.table, [...(byTable.get(b.table) ?? []), { ...b, payload: readFileSync(b.file) }])
spool.remove()
const replayStarted = performance.now()
await Promise.all([...byTable.values()].map(async (list) => {
  for (const b of list) await insertRaw(b.table, b.format, b.payload)
}))
const replaySeconds = (performance.now() - replayStarted) / 1000
step('replayed')
let replayed = 0
for (const t of TABLES[signal]!) replayed += await count(t)
if (replayed !== stored) throw new Error(`replay stored ${replayed} rows, the collector ${stored}`)

// The ceiling: the same rows inserted by the engine itself from memory, into
// the emptied tables, three times; the median, for one insert of this size
// moved 3x from run to run on this shared machine.
const CEILING_TRIES = 3
const ceilingTries: number[] = []
for (const t of TABLES[signal]!) {
  await storage.command(`CREATE TABLE ceiling_src_${t} AS ${t} ENGINE = Memory`)
  await storage.command(`INSERT INTO ceiling_src_${t} SELECT * FROM ${t}`)
}
for (let i = 0; i < CEILING_TRIES; i++) {
  let seconds = 0
  for (const t of TABLES[signal]!) {
    await storage.command(`TRUNCATE TABLE ${t}`)
    const started = performance.now()
    await storage.command(`INSERT INTO ${t} SELECT * FROM ceiling_src_${t}`)
    seconds += (performance.now() - started) / 1000
  }
  ceilingTries.push(seconds)
}
const ceilingSeconds = [...ceilingTries].sort((a, b) => a - b)[1]!

step('ceiling')
await storage.close()
await isolation.pool.close()
step('closed')
dir.remove()
process.stdout.write(
  JSON.stringify({
    signal,
    items: sent.items,
    stored,
    failedRequests: sent.failed,
    itemsPerSecond: sent.items / endToEndSeconds,
    acknowledgedPerSecond: sent.items / sent.seconds,
    replayPerSecond: stored / replaySeconds,
    batches: batches.length,
    ceilingPerSecond: stored / ceilingSeconds,
    peakRssBytes,
    bytesOnDiskPerItem: bytesOnDisk / stored,
    requestBytes: sent.bodyBytes,
    itemsPerRequest: sent.itemsPerRequest,
    cpuMicrosPerItem: cpu,
  }) + '\n',
)

