import { spawn, type ChildProcess } from 'node:child_process'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { stringify } from 'yaml'
import { freePort } from './ports.ts'
import { toolPath } from './requirements.ts'
import { tempDir } from './temp.ts'

export interface RunningAlertmanager {
  url: string
  output(): string
  stop(): Promise<void>
}

/**
 * Starts the real Alertmanager (Debian's prometheus-alertmanager) on loopback,
 * routing every alert to `webhookUrl` with short group timings, resolves included.
 */
export async function startAlertmanager(webhookUrl: string, timeoutMs = 30_000): Promise<RunningAlertmanager> {
  const binary = toolPath('alertmanager') // before making anything to clean up
  const dir = tempDir('cairn-am-')
  const port = await freePort()
  const config = {
    route: { receiver: 'test', group_by: ['alertname', 'slo', 'severity'], group_wait: '1s', group_interval: '1s', repeat_interval: '1h' },
    receivers: [{ name: 'test', webhook_configs: [{ url: webhookUrl, send_resolved: true }] }],
  }
  writeFileSync(join(dir.path, 'alertmanager.yml'), stringify(config))
  const child: ChildProcess = spawn(
    binary,
    [
      `--config.file=${join(dir.path, 'alertmanager.yml')}`,
      `--storage.path=${join(dir.path, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--cluster.listen-address=',
      '--log.level=info',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  )
  let out = ''
  child.stdout!.on('data', (d) => (out += d))
  child.stderr!.on('data', (d) => (out += d))
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()))
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM')
    await exited
    dir.remove()
  }
  const url = `http://127.0.0.1:${port}`
  const deadline = Date.now() + timeoutMs
  for (;;) {
    if (child.exitCode !== null) {
      await stop()
      throw new Error(`alertmanager exited:\n${out}`)
    }
    const ready = await fetch(`${url}/-/ready`).then((r) => r.ok, () => false)
    if (ready) return { url, output: () => out, stop }
    if (Date.now() > deadline) {
      await stop()
      throw new Error(`alertmanager not ready within ${timeoutMs} ms:\n${out}`)
    }
    await new Promise((r) => setTimeout(r, 100))
  }
}
