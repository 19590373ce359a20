// npm run bench:ingest — OTLP protobuf (and Prometheus remote_write) over HTTP →
// rows in ClickHouse (embedded), per signal, beside two references measured in
// the same run on the same rows: the engine alone writing the batches the
// collector wrote (what any collector inserting batches of that size could
// reach), and the engine's own INSERT … SELECT ceiling. Each run is a fresh process and data directory;
// medians of RUNS runs are printed (the machine is shared: expect noise).
// Env: RUNS (default 3), REQUESTS (default 1000: long enough for the merges to
// reach their steady pace), CONCURRENCY (default 32: requests in flight, as from
// many instrumented services), SIGNALS.
import { execFile } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'

const runs = Number(process.env.RUNS ?? 3)
const requests = process.env.REQUESTS ?? '1000'
const concurrency = process.env.CONCURRENCY ?? '32'
const signals = (process.env.SIGNALS ?? 'traces,logs,metrics,remote_write').split(',')
const script = fileURLToPath(new URL('./ingest-run.ts', import.meta.url))

interface Run {
  signal: string
  items: number
  stored: number
  failedRequests: number
  itemsPerSecond: number
  replayPerSecond: number
  batches: number
  ceilingPerSecond: number
  peakRssBytes: number
  bytesOnDiskPerItem: number
  requestBytes: number
  itemsPerRequest: number
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b)
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2
}
const fmt = (n: number) => Math.round(n).toLocaleString('en-US')

const unit: Record<string, string> = { traces: 'spans', logs: 'log records', metrics: 'metric points', remote_write: 'samples' }
console.log(`bench:ingest — ${runs} runs per signal, ${requests} requests each, ${concurrency} in flight; medians\n`)
console.log('end to end: OTLP protobuf over HTTP → rows in ClickHouse. engine alone: the batches the collector wrote, written')
console.log('again by the engine with no HTTP and no decoding. ceiling: the same rows in one INSERT … SELECT from memory.\n')
console.log('signal       | end to end/s | engine alone/s | ratio | ceiling/s | ratio | rows per insert | peak RSS | disk B/item | runs (end to end/s)')
console.log('------------ | ------------ | -------------- | ----- | --------- | ----- | --------------- | -------- | ----------- | -------------------')
const pct = (x: number) => `${(x * 100).toFixed(0)}%`.padStart(5)
for (const signal of signals) {
  const results: Run[] = []
  for (let i = 0; i < runs; i++) {
    const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', script, signal, requests, concurrency], { maxBuffer: 1 << 20 })
    const run = JSON.parse(stdout.trim().split('\n').pop()!) as Run
    if (run.failedRequests > 0 || run.stored !== run.items) throw new Error(`${signal}: ${run.failedRequests} requests failed; ${run.stored} of ${run.items} items stored`)
    results.push(run)
  }
  const m = (f: (r: Run) => number) => median(results.map(f))
  console.log(
    [
      signal.padEnd(12),
      fmt(m((r) => r.itemsPerSecond)).padStart(12),
      fmt(m((r) => r.replayPerSecond)).padStart(14),
      pct(m((r) => r.itemsPerSecond / r.replayPerSecond)),
      fmt(m((r) => r.ceilingPerSecond)).padStart(9),
      pct(m((r) => r.itemsPerSecond / r.ceilingPerSecond)),
      fmt(m((r) => r.stored / r.batches)).padStart(15),
      `${(m((r) => r.peakRssBytes) / 2 ** 20).toFixed(0).padStart(4)} MiB`,
      m((r) => r.bytesOnDiskPerItem).toFixed(1).padStart(11),
      results.map((r) => fmt(r.itemsPerSecond)).join(', '),
    ].join(' | '),
  )
  console.log(`         (${unit[signal]}; ${results[0]!.itemsPerRequest} per request of ${fmt(results[0]!.requestBytes)} bytes)`)
}
