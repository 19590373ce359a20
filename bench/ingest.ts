// npm run bench:ingest — OTLP protobuf (and Prometheus remote_write) over HTTP →
// rows in ClickHouse (embedded), per signal, with the collector's durable
// queue (acknowledged once on disk, end to end until the queue has drained)
// and without it (acknowledged once inserted), beside two references measured
// in the same run on the same rows: the engine alone writing the batches the
// collector wrote (what any collector inserting batches of that size could
// reach), and the engine's own INSERT … SELECT ceiling. Then the memory run:
// many senders of large bodies, peak RSS against the 1 GiB target.
// Each run is a fresh process and data directory; medians of RUNS runs are
// printed (the machine is shared: expect noise).
// After each table: where the collector's process spent its CPU per item, by
// thread (ClickHouse's inserts and merges, Node's main and other threads).
// Env: RUNS (default 3), REQUESTS (default 400), CONCURRENCY (default 8),
// ITEMS (spans or log records per request, default 1000), SIGNALS
// (traces,logs,metrics,remote_write), MODES (disk,off), and for the memory
// run RSS_REQUESTS (default 128; 0 skips it), RSS_CONCURRENCY (64), RSS_ITEMS (5000).
// MALLOC_ARENA_MAX (default 2, as in the image); BENCH_MEMORY=1 prints what
// makes up each run's peak RSS.
import { execFile } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'

const env = (name: string, fallback: string) => process.env[name] ?? fallback
const runs = Number(env('RUNS', '3'))
const signals = env('SIGNALS', 'traces,logs,metrics,remote_write').split(',')
const modes = env('MODES', 'disk,off').split(',')
const script = fileURLToPath(new URL('./ingest-run.ts', import.meta.url))

interface Run {
  signal: string
  items: number
  stored: number
  failedRequests: number
  itemsPerSecond: number
  acknowledgedPerSecond: number
  replayPerSecond: number
  batches: number
  ceilingPerSecond: number
  peakRssBytes: number
  bytesOnDiskPerItem: number
  requestBytes: number
  itemsPerRequest: number
  cpuMicrosPerItem: Record<string, number>
}

// The process environment the image runs with (Dockerfile: MALLOC_ARENA_MAX=2);
// the embedded engine's own allocator settings come from storage/allocator.ts.
const runEnv = { ...process.env, MALLOC_ARENA_MAX: env('MALLOC_ARENA_MAX', '2') }

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b)
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2
}
const fmt = (n: number) => Math.round(n).toLocaleString('en-US')
const pct = (x: number) => `${(x * 100).toFixed(0)}%`.padStart(5)
const mib = (b: number) => `${(b / 2 ** 20).toFixed(0).padStart(5)} MiB`

async function measure(signal: string, mode: string, requests: string, concurrency: string, items: string): Promise<Run[]> {
  const results: Run[] = []
  for (let i = 0; i < runs; i++) {
    const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', script, signal, requests, concurrency, items, mode], { maxBuffer: 1 << 20, env: runEnv })
    const run = JSON.parse(stdout.trim().split('\n').pop()!) as Run
    if (run.failedRequests > 0 || run.stored !== run.items) throw new Error(`${signal} (${mode}): ${run.failedRequests} requests failed; ${run.stored} of ${run.items} items stored`)
    results.push(run)
  }
  return results
}

/** Where the collector's process spent its CPU while taking the load, per item: medians. */
function cpuLine(signal: string, mode: string, results: Run[]): string {
  const keys = Object.keys(results[0]!.cpuMicrosPerItem)
  const parts = keys.map((k) => `${k} ${median(results.map((r) => r.cpuMicrosPerItem[k]!)).toFixed(1)}`)
  const total = median(results.map((r) => Object.values(r.cpuMicrosPerItem).reduce((a, b) => a + b, 0)))
  return `  ${signal} ${mode}: ${total.toFixed(1)} µs of CPU per item (${parts.join(', ')})`
}

function row(signal: string, mode: string, results: Run[]): string {
  const m = (f: (r: Run) => number) => median(results.map(f))
  return [
    signal.padEnd(12),
    mode.padEnd(5),
    fmt(m((r) => r.itemsPerSecond)).padStart(12),
    fmt(m((r) => r.acknowledgedPerSecond)).padStart(14),
    fmt(m((r) => r.replayPerSecond)).padStart(14),
    fmt(m((r) => r.ceilingPerSecond)).padStart(9),
    pct(m((r) => r.itemsPerSecond / r.ceilingPerSecond)),
    fmt(m((r) => r.stored / r.batches)).padStart(15),
    mib(m((r) => r.peakRssBytes)),
    m((r) => r.bytesOnDiskPerItem).toFixed(1).padStart(11),
    results.map((r) => `${fmt(r.itemsPerSecond)} (${pct(r.itemsPerSecond / r.ceilingPerSecond).trim()})`).join(', '),
  ].join(' | ')
}

const [requests, concurrency, items] = [env('REQUESTS', '400'), env('CONCURRENCY', '8'), env('ITEMS', '1000')]
console.log(`bench:ingest — ${runs} runs each, ${requests} requests of ${items} spans or log records, ${concurrency} in flight; medians; MALLOC_ARENA_MAX=${runEnv.MALLOC_ARENA_MAX}\n`)
console.log('end to end: OTLP protobuf over HTTP → rows in ClickHouse (disk: the durable queue, until it has drained; off: acknowledged')
console.log('once inserted). acknowledged: as the senders saw it. engine alone: the batches the collector wrote, written again by the')
console.log('engine. ceiling: the same rows in one INSERT … SELECT from memory; ratio = end to end / ceiling (target ≥ 60 % with the queue).\n')
const header = 'signal       | mode  | end to end/s | acknowledged/s | engine alone/s | ceiling/s | ratio | rows per insert | peak RSS  | disk B/item | runs (end to end/s, ratio)'
console.log(header)
console.log(header.replace(/[^|]/g, '-'))
const cpuLines: string[] = []
for (const signal of signals) {
  for (const mode of modes) {
    const results = await measure(signal, mode, requests, concurrency, items)
    console.log(row(signal, mode, results))
    cpuLines.push(cpuLine(signal, mode, results))
  }
}
console.log(`\nthe collector's process while it took the load (the sender apart), by thread: ClickHouse's inserts and merges, Node's main thread and its other threads (parse workers, libuv, GC); ${runs} runs, medians`)
for (const line of cpuLines) console.log(line)

const rss = { requests: env('RSS_REQUESTS', '128'), concurrency: env('RSS_CONCURRENCY', '64'), items: env('RSS_ITEMS', '5000') }
if (Number(rss.requests) > 0) {
  console.log(`\nmemory: ${rss.concurrency} senders of ${rss.items}-span bodies, ${rss.requests} requests; peak RSS of the collector's process (target < 1 GiB with the queue)\n`)
  console.log(header)
  console.log(header.replace(/[^|]/g, '-'))
  const lines: string[] = []
  for (const mode of modes) {
    const results = await measure('traces', mode, rss.requests, rss.concurrency, rss.items)
    console.log(row('traces', mode, results))
    lines.push(cpuLine('traces', mode, results))
  }
  console.log('')
  for (const line of lines) console.log(line)
}
