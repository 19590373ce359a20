// npm run bench:collector-cpu — what one collector core takes in, for the
// sizing guide (docs/scaling.md). On the embedded store the collector shares
// its process and cores with ClickHouse, so bench:ingest cannot tell the two
// apart. Here a `cairn collector` process runs in server mode against a
// ClickHouse (the test shim on chDB, in this process) that stalls every insert:
// the collector's durable queue takes every request, so what the collector
// process spends (its CPU time, from /proc) is intake alone: HTTP, protobuf
// decoding into RowBinary, the queue's appends and fsyncs. Unique spans (see
// otlp-bodies.ts), 512 per request. Baseline, in the same run: the same
// bodies decoded in this process by the collector's decoder alone, no HTTP,
// no queue. Also the collector process's peak RSS. Env: REQUESTS (default
// 600), CONCURRENCY (default 8).
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { configSchema } from '../config/index.ts'
import { migrate, openStorage, otelTables } from '../storage/index.ts'
import { allMigrations } from '../cli/index.ts'
import { decodeOtlpBody } from '../collector/otlp/decode-body.ts'
import { startClickHouseShim } from '../test/support/clickhouse-http-shim.ts'
import { startCairn } from '../test/support/cairn-process.ts'
import { tempDir } from '../test/support/temp.ts'
import { spanBody } from './otlp-bodies.ts'

const REQUESTS = Number(process.env.REQUESTS ?? 600)
const CONCURRENCY = Number(process.env.CONCURRENCY ?? 8)
const CLOCK_TICKS = 100 // USER_HZ on Linux

/** CPU seconds a process has used (user + system), from /proc/<pid>/stat. */
function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ')
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS
}

const bodies = Array.from({ length: 64 }, () => spanBody(Date.now() - 1_800_000))
const spansPerRequest = bodies.reduce((n, b) => n + b.items, 0) / bodies.length

// Baseline: the decoder alone, on one core of this process.
const rounds = Math.max(1, Math.round(REQUESTS / bodies.length))
const decodeStart = process.cpuUsage()
let decoded = 0
for (let r = 0; r < rounds; r++) for (const b of bodies) decoded += decodeOtlpBody('traces', 'protobuf', [Buffer.from(b.body)], {}).accepted
const decodeUsage = process.cpuUsage(decodeStart)
const decodeCpu = (decodeUsage.user + decodeUsage.system) / 1e6

const dir = tempDir('cairn-bench-collector-cpu-')
const shim = await startClickHouseShim({ dataDir: join(dir.path, 'clickhouse') })
try {
  const config = configSchema.parse({ storage: { clickhouse: { url: shim.url } } })
  const storage = await openStorage(config.storage)
  await migrate(storage, allMigrations(config), otelTables(config.storage.ttlDays))
  await storage.close()
  const collector = await startCairn({ CAIRN_CLICKHOUSE_URL: shim.url, CAIRN_DATA_DIR: join(dir.path, 'collector'), CAIRN_SELF_TRACES: 'off', CAIRN_LOG_LEVEL: 'info' }, 'collector')
  try {
    // From now on nothing reaches ClickHouse: the queue holds every request.
    shim.setMode('stall')
    const pid = collector.child.pid!
    let failed = 0
    const send = async (requests: number) => {
      let next = 0
      await Promise.all(
        Array.from({ length: CONCURRENCY }, async () => {
          while (next < requests) {
            const body = bodies[next++ % bodies.length]!.body
            const res = await fetch(`${collector.otlpUrl}/v1/traces`, { method: 'POST', headers: { 'content-type': 'application/x-protobuf' }, body })
            await res.arrayBuffer()
            if (res.status !== 200) failed++
          }
        }),
      )
    }
    // Warm-up, not measured: the process loads its modules (tsx compiles them) and its parse workers at first use.
    await send(bodies.length)
    await new Promise((r) => setTimeout(r, 2000))
    failed = 0
    const cpuBefore = cpuSeconds(pid)
    const started = performance.now()
    await send(REQUESTS)
    const seconds = (performance.now() - started) / 1000
    const cpu = cpuSeconds(pid) - cpuBefore
    const spans = REQUESTS * spansPerRequest
    const row = (what: string, rate: string, perCpu: number) => console.log(`| ${what} | ${rate} | ${Math.round(perCpu).toLocaleString('en')} |`)
    console.log(`${REQUESTS} requests of ${spansPerRequest} unique spans, ${CONCURRENCY} in flight, ${failed} not acknowledged`)
    console.log('| what | spans/s (wall) | spans per CPU-second |')
    console.log('| --- | --- | --- |')
    row('decoder alone, in this process (baseline)', '', decoded / decodeCpu)
    row(`collector process: HTTP, decode, queue append + fsync (${cpu.toFixed(1)} CPU-s in ${seconds.toFixed(1)} s)`, Math.round(spans / seconds).toLocaleString('en'), spans / cpu)
    console.log(`collector ÷ decoder alone: ${(decoded / decodeCpu / (spans / cpu)).toFixed(2)}× the CPU per span`)
    // What the queue holds per span on disk (RowBinary), for sizing the collectors' disks.
    const gauge = (name: string, text: string) => Number(text.match(new RegExp(`^${name} (\\S+)$`, 'm'))?.[1] ?? NaN)
    const metrics = await (await fetch(`${collector.apiUrl}/metrics`)).text()
    console.log(`queue: ${(gauge('cairn_collector_queue_bytes', metrics) / gauge('cairn_collector_queue_rows', metrics)).toFixed(0)} bytes per span (RowBinary), ${(bodies.reduce((n, b) => n + b.body.length, 0) / bodies.reduce((n, b) => n + b.items, 0)).toFixed(0)} as OTLP protobuf`)
    // The collector process's peak RSS (VmHWM): a server-mode collector's memory, for sizing.
    const peakKb = Number(/^VmHWM:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1])
    console.log(`collector process peak RSS: ${Math.round(peakKb / 1024)} MiB (server mode: no embedded engine in it)`)
  } finally {
    collector.child.kill('SIGKILL') // its queue cannot drain into a stalled store; the directory goes with the temp dir
  }
} finally {
  shim.setMode('up')
  await shim.close()
  dir.remove()
}
