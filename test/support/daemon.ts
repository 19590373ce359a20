import { spawn } from 'node:child_process'

export interface RunningDaemon {
  /** http://127.0.0.1:<port> */
  url: string
  output(): string
  /** SIGTERM, wait for exit, then `cleanup`. */
  stop(): Promise<void>
}

/**
 * Starts a real server binary (Prometheus, Alertmanager) listening on
 * 127.0.0.1:`port`, and resolves once its `/-/ready` answers 200. If it exits or
 * is not ready within timeoutMs, it is stopped, `cleanup` runs, and this throws
 * with everything it printed.
 */
export async function startDaemon(name: string, command: string, args: string[], port: number, cleanup: () => void, timeoutMs = 30_000, cwd?: string): Promise<RunningDaemon> {
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], cwd })
  let out = ''
  child.stdout!.on('data', (d) => (out += d))
  child.stderr!.on('data', (d) => (out += d))
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()))
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM')
    await exited
    cleanup()
  }
  const url = `http://127.0.0.1:${port}`
  const deadline = Date.now() + timeoutMs
  for (;;) {
    if (child.exitCode !== null) {
      await stop()
      throw new Error(`${name} exited:\n${out}`)
    }
    if (await fetch(`${url}/-/ready`).then((r) => r.ok, () => false)) return { url, output: () => out, stop }
    if (Date.now() > deadline) {
      await stop()
      throw new Error(`${name} not ready within ${timeoutMs} ms:\n${out}`)
    }
    await new Promise((r) => setTimeout(r, 100))
  }
}
