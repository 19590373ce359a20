// The stall probe: a separate process that asks /healthz again as soon as it
// has its answer, and samples the server's resident memory, so that what it
// measures is the server's, not the sender's. The parent sends 'mark'; the
// probe answers with the longest /healthz round trip and the largest RSS
// since the previous mark.

import { Agent, request } from 'node:http'
import { readFileSync } from 'node:fs'

const [healthUrl, serverPid] = process.argv.slice(2) as [string, string]
const agent = new Agent({ keepAlive: true, maxSockets: 1 })
let maxMs = 0
let maxRssBytes = 0
let polls = 0
let failures = 0

function rssBytes(): number {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${serverPid}/status`, 'utf8'))
    return m ? Number(m[1]) * 1024 : 0
  } catch {
    return 0
  }
}

function poll(): void {
  const started = performance.now()
  const req = request(healthUrl, { agent, timeout: 30_000 }, (res) => {
    res.resume()
    res.on('end', () => finish(res.statusCode === 200))
  })
  const finish = (ok: boolean) => {
    const ms = performance.now() - started
    if (ms > maxMs) maxMs = ms
    if (!ok) failures++
    polls++
    maxRssBytes = Math.max(maxRssBytes, rssBytes())
    setTimeout(poll, 2)
  }
  req.on('error', () => finish(false))
  req.on('timeout', () => req.destroy())
  req.end()
}

process.on('message', (msg) => {
  if (msg === 'stop') {
    agent.destroy()
    process.exit(0)
  }
  if (msg !== 'mark') return
  process.send!({ maxMs, maxRssBytes: Math.max(maxRssBytes, rssBytes()), polls, failures })
  maxMs = 0
  maxRssBytes = 0
  polls = failures = 0
})
poll()
