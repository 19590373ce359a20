import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { stringify } from 'yaml'
import { startDaemon } from './daemon.ts'
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
  return startDaemon(
    'alertmanager',
    binary,
    [
      `--config.file=${join(dir.path, 'alertmanager.yml')}`,
      `--storage.path=${join(dir.path, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--cluster.listen-address=',
      '--log.level=info',
    ],
    port,
    () => dir.remove(),
    timeoutMs,
  )
}
