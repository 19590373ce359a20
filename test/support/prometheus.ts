import { copyFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { stringify } from 'yaml'
import { startDaemon } from './daemon.ts'
import { freePort } from './ports.ts'
import { toolPath } from './requirements.ts'
import { tempDir } from './temp.ts'

export interface RunningPrometheus {
  url: string
  /** An instant query's result vector. */
  query(expr: string): Promise<{ metric: Record<string, string>; value: [number, string] }[]>
  output(): string
  stop(): Promise<void>
}

/**
 * Starts the real Prometheus (Debian's) on a free loopback port with its TSDB
 * in a temp dir, scraping `target` (host:port, path /metrics) every second and
 * evaluating `ruleFile` every second. `stop()` kills it and removes the dir.
 */
export async function startPrometheus(target: string, ruleFile: string, timeoutMs = 30_000): Promise<RunningPrometheus> {
  const binary = toolPath('prometheus') // before making anything to clean up
  const dir = tempDir('cairn-prometheus-')
  const port = await freePort()
  copyFileSync(ruleFile, join(dir.path, 'rules.yaml'))
  const config = {
    global: { scrape_interval: '1s', evaluation_interval: '1s' },
    rule_files: ['rules.yaml'],
    scrape_configs: [{ job_name: 'cairn', static_configs: [{ targets: [target] }] }],
  }
  writeFileSync(join(dir.path, 'prometheus.yml'), stringify(config))
  const daemon = await startDaemon(
    'prometheus',
    binary,
    [`--config.file=${join(dir.path, 'prometheus.yml')}`, `--storage.tsdb.path=${join(dir.path, 'data')}`, `--web.listen-address=127.0.0.1:${port}`, '--log.level=warn'],
    port,
    () => dir.remove(),
    timeoutMs,
    dir.path,
  )
  const query = async (expr: string) => {
    const res = await fetch(`${daemon.url}/api/v1/query?query=${encodeURIComponent(expr)}`)
    const body = (await res.json()) as { status: string; error?: string; data: { result: { metric: Record<string, string>; value: [number, string] }[] } }
    if (body.status !== 'success') throw new Error(`prometheus query ${expr}: ${body.error}`)
    return body.data.result
  }
  return { ...daemon, query }
}

/** Polls `probe` until it returns a value (not undefined), or throws after timeoutMs. */
export async function eventually<T>(probe: () => Promise<T | undefined>, timeoutMs = 30_000, what = 'condition'): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const value = await probe()
    if (value !== undefined) return value
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 250))
  }
}
