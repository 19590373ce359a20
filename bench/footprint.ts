// npm run bench:footprint — bytes on disk per span and per log record, for
// the sizing guide (docs/scaling.md). bench:ingest repeats 8 request bodies,
// which ClickHouse compresses to almost nothing; here every span is unique, as
// in production: random trace and span ids, traces of 6 spans across 3
// services, routes, status codes, user ids and durations that vary. The rows
// go through the collector (OTLP protobuf over HTTP, built by the SDK's
// serializer) into the embedded store, merged to one part per partition (a
// steady state). The baseline, from the same run: the OTLP protobuf bytes of
// the same items, as sent and gzipped (what a sender ships).
// Env: SPANS (default 300,000), LOGS (default 200,000).
import { gzipSync } from 'node:zlib'
import { InMemoryLogRecordExporter, LoggerProvider, SimpleLogRecordProcessor } from '@opentelemetry/sdk-logs'
import { ProtobufLogsSerializer } from '@opentelemetry/otlp-transformer'
import { latencyMs, PER_REQUEST, pick, random, resourceOf, ROUTES, SERVICES, spanBody } from './otlp-bodies.ts'
import { configSchema } from '../config/index.ts'
import { createLogger, createMetricsRegistry } from '../instrumentation/index.ts'
import { migrate, openStorage, otelTables, OTEL_TABLES } from '../storage/index.ts'
import { allMigrations } from '../cli/index.ts'
import { createCollector } from '../collector/index.ts'
import { tempDir } from '../test/support/temp.ts'

const SPANS = Number(process.env.SPANS ?? 300_000)
const LOGS = Number(process.env.LOGS ?? 200_000)

async function logBody(startMs: number): Promise<{ body: Uint8Array; items: number }> {
  const exporter = new InMemoryLogRecordExporter()
  const provider = new LoggerProvider({ resource: resourceOf(pick(SERVICES), Math.floor(random() * 12)), processors: [new SimpleLogRecordProcessor({ exporter })] })
  const logger = provider.getLogger('app', '1.0.0')
  for (let i = 0; i < PER_REQUEST; i++) {
    const error = random() < 0.03
    const order = Math.floor(random() * 1e7)
    logger.emit({
      timestamp: startMs + random() * 1000,
      severityNumber: error ? 17 : 9,
      severityText: error ? 'ERROR' : 'INFO',
      body: error ? `payment for order ${order} failed: provider timeout after ${Math.round(latencyMs() * 50)} ms` : `order ${order} placed: ${1 + Math.floor(random() * 9)} items, total ${(random() * 300).toFixed(2)} EUR`,
      attributes: { 'order.id': String(order), 'user.id': `u-${Math.floor(random() * 50_000)}`, 'http.route': pick(ROUTES), 'code.function': error ? 'authorizePayment' : 'placeOrder' },
    })
  }
  await provider.forceFlush()
  const records = exporter.getFinishedLogRecords()
  return { body: ProtobufLogsSerializer.serializeRequest(records)!, items: records.length }
}

interface Sent {
  items: number
  protobufBytes: number
  gzipBytes: number
}

async function send(url: string, make: (startMs: number) => Promise<{ body: Uint8Array; items: number }> | { body: Uint8Array; items: number }, total: number): Promise<Sent> {
  const out: Sent = { items: 0, protobufBytes: 0, gzipBytes: 0 }
  const startMs = Date.now() - 3_600_000
  while (out.items < total) {
    const { body, items } = await make(startMs + (out.items / total) * 3_600_000)
    const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/x-protobuf' }, body })
    await res.arrayBuffer()
    if (res.status !== 200) throw new Error(`${url} answered ${res.status}`)
    out.items += items
    out.protobufBytes += body.length
    out.gzipBytes += gzipSync(body).length
  }
  return out
}

const dir = tempDir('cairn-bench-footprint-')
const config = configSchema.parse({ storage: { dataDir: dir.path, ttlDays: { traces: 0, logs: 0, metrics: 0 } } })
const storage = await openStorage(config.storage)
await migrate(storage, allMigrations(config), otelTables(config.storage.ttlDays))
const collector = createCollector({ config: configSchema.parse({ collector: { port: 0 } }).collector, host: '127.0.0.1', storage, logger: createLogger('warn'), registry: createMetricsRegistry() })
const base = `http://127.0.0.1:${await collector.start()}`

/** Bytes on disk of the tables, merged to one part per partition. */
async function onDisk(tables: string[]): Promise<number> {
  let bytes = 0
  for (const t of tables) {
    await storage.command(`OPTIMIZE TABLE ${t} FINAL`)
    const [row] = await storage.query<{ b: string }>('SELECT sum(bytes_on_disk) AS b FROM system.parts WHERE active AND table = {t:String}', { t })
    bytes += Number(row!.b)
  }
  return bytes
}

try {
  const rows: string[] = []
  const report = (what: string, sent: Sent, disk: number) => {
    const per = (b: number) => (b / sent.items).toFixed(1)
    rows.push(`| ${what} | ${sent.items.toLocaleString('en')} | ${per(disk)} B | ${per(sent.protobufBytes)} B | ${per(sent.gzipBytes)} B | ${(disk / sent.gzipBytes).toFixed(2)}× |`)
  }
  process.stderr.write(`sending ${SPANS} unique spans…\n`)
  const spans = await send(`${base}/v1/traces`, spanBody, SPANS)
  const traceTables = (await storage.query<{ name: string }>(`SELECT name FROM system.tables WHERE database = currentDatabase() AND name LIKE '${OTEL_TABLES.traces}%' AND engine LIKE '%MergeTree'`)).map((r) => r.name)
  report(`spans (${traceTables.join(' + ')})`, spans, await onDisk(traceTables))
  process.stderr.write(`sending ${LOGS} unique log records…\n`)
  const logs = await send(`${base}/v1/logs`, logBody, LOGS)
  report(`log records (${OTEL_TABLES.logs})`, logs, await onDisk([OTEL_TABLES.logs]))
  console.log('| item | stored | on disk per item | OTLP protobuf per item (baseline) | gzipped | disk ÷ gzipped |')
  console.log('| --- | --- | --- | --- | --- | --- |')
  for (const r of rows) console.log(r)
} finally {
  await collector.stop()
  await storage.close()
  dir.remove()
}
