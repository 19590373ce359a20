// What a bench process spends, read from Linux's /proc: CPU by thread (where
// the collector's time goes while it takes load) and, on request, what makes
// up the peak RSS. Linux only, like the benches' figures.
import { readdirSync, readFileSync } from 'node:fs'

/** CPU seconds (user + system) of each thread of this process, by thread id. */
export function threadCpuSeconds(): Map<string, { name: string; seconds: number }> {
  const threads = new Map<string, { name: string; seconds: number }>()
  for (const tid of readdirSync('/proc/self/task')) {
    let stat: string
    try {
      stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8')
    } catch {
      continue // the thread ended while we listed them
    }
    const name = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'))
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    // utime and stime, fields 14 and 15 of stat(5), in clock ticks (100 per second on Linux).
    threads.set(tid, { name: tid === String(process.pid) ? 'main' : name, seconds: (Number(fields[11]) + Number(fields[12])) / 100 })
  }
  return threads
}

/**
 * CPU microseconds per item between two readings, grouped: ClickHouse's insert
 * and query threads (its ThreadPool), its merges, Node's main thread, and
 * Node's other threads (the parse workers, libuv's pool, the garbage
 * collector's helpers), which Node leaves unnamed.
 */
export function cpuPerItem(before: ReturnType<typeof threadCpuSeconds>, after: ReturnType<typeof threadCpuSeconds>, items: number): Record<string, number> {
  const groups: Record<string, number> = { clickhouseInserts: 0, clickhouseMerges: 0, nodeMain: 0, nodeOther: 0, other: 0 }
  for (const [tid, { name, seconds }] of after) {
    const spent = seconds - (before.get(tid)?.seconds ?? 0)
    const group = name === 'main' ? 'nodeMain' : name === 'node' ? 'nodeOther' : name === 'ThreadPool' ? 'clickhouseInserts' : name === 'MergeMutate' ? 'clickhouseMerges' : 'other'
    groups[group]! += spent
  }
  return Object.fromEntries(Object.entries(groups).map(([k, v]) => [k, Math.round((v / items) * 1e6 * 100) / 100]))
}

/**
 * Samples every 50 ms and, on stop, prints (stderr) the make-up of the
 * highest RSS seen: anonymous and file-backed pages (libchdb's code is
 * file-backed), Node's heap and buffers, and the peak of ClickHouse's own
 * memory tracker, read through `query` every 250 ms.
 */
export function sampleMemory(query: (sql: string) => Promise<{ v: string }[]>): { stop(): void } {
  const mib = (b: number) => Math.round(b / 2 ** 20)
  let peak: Record<string, number> = { rss: 0 }
  let trackedPeak = 0
  const rssKinds = () =>
    Object.fromEntries([...readFileSync('/proc/self/status', 'utf8').matchAll(/^(RssAnon|RssFile):\s+(\d+) kB/gm)].map((m) => [m[1]!, Number(m[2]) * 1024]))
  const sample = setInterval(() => {
    const m = process.memoryUsage()
    if (m.rss > peak.rss!) peak = { rss: m.rss, ...rssKinds(), heapTotal: m.heapTotal, external: m.external }
  }, 50)
  const tracked = setInterval(() => {
    query("SELECT value AS v FROM system.metrics WHERE metric = 'MemoryTracking'").then(
      (rows) => (trackedPeak = Math.max(trackedPeak, Number(rows[0]?.v ?? 0))),
      () => {},
    )
  }, 250)
  return {
    stop() {
      clearInterval(sample)
      clearInterval(tracked)
      const parts = Object.entries(peak).map(([k, v]) => `${k} ${mib(v)}`)
      process.stderr.write(`memory at the highest RSS sampled (MiB): ${parts.join(', ')}; ClickHouse's tracker at most ${mib(trackedPeak)}\n`)
    },
  }
}
