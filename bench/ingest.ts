// npm run bench:ingest — OTLP protobuf (and Prometheus remote_write) over HTTP →
// rows in ClickHouse (embedded), per signal, beside the engine's own INSERT … SELECT ceiling on the same rows
// measured in the same run. Each run is a fresh process and data directory;
// medians of RUNS runs are printed (the machine is shared: expect noise).
// Env: RUNS (default 3), REQUESTS (default 400), CONCURRENCY (default 32: requests
// in flight, as from many instrumented services), SIGNALS.
import { execFile } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'

const runs = Number(process.env.RUNS ?? 3)
const requests = process.env.REQUESTS ?? '400'
const concurrency = process.env.CONCURRENCY ?? '32'
const signals = (process.env.SIGNALS ?? 'traces,logs,metrics,remote_write').split(',')
const script = fileURLToPath(new URL('./ingest-run.ts', import.meta.url))

interface Run {
  signal: string
  items: number
  stored: number
  failedRequests: number
  itemsPerSecond: number
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
console.log('signal       | items/s end to end | ceiling items/s | ratio | peak RSS | bytes on disk/item | runs (items/s)')
console.log('------------ | ------------------ | --------------- | ----- | -------- | ------------------ | --------------')
for (const signal of signals) {
  const results: Run[] = []
  for (let i = 0; i < runs; i++) {
    const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', script, signal, requests, concurrency], { maxBuffer: 1 << 20 })
    const run = JSON.parse(stdout.trim().split('\n').pop()!) as Run
    if (run.failedRequests > 0 || run.stored !== run.items) throw new Error(`${signal}: ${run.failedRequests} requests failed; ${run.stored} of ${run.items} items stored`)
    results.push(run)
  }
  const rate = median(results.map((r) => r.itemsPerSecond))
  const ceiling = median(results.map((r) => r.ceilingPerSecond))
  const ratios = median(results.map((r) => r.itemsPerSecond / r.ceilingPerSecond))
  console.log(
    `${signal.padEnd(12)} | ${fmt(rate).padStart(18)} | ${fmt(ceiling).padStart(15)} | ${(ratios * 100).toFixed(0).padStart(4)}% | ${(median(results.map((r) => r.peakRssBytes)) / 2 ** 20).toFixed(0).padStart(4)} MiB | ${median(results.map((r) => r.bytesOnDiskPerItem)).toFixed(1).padStart(18)} | ${results.map((r) => fmt(r.itemsPerSecond)).join(', ')}`,
  )
  console.log(`         (${unit[signal]}; ${results[0]!.itemsPerRequest} per request of ${fmt(results[0]!.requestBytes)} bytes)`)
}
