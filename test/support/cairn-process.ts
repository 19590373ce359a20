import { spawn, type ChildProcess } from 'node:child_process'
import { fileURLToPath } from 'node:url'

export const CAIRN_BIN = fileURLToPath(new URL('../../bin/cairn.js', import.meta.url))

export interface CairnRun {
  code: number | null
  signal: NodeJS.Signals | null
  stdout: string
  stderr: string
}

/** Runs `cairn <args>` to completion (killed after timeoutMs). */
export function runCairn(args: string[], env: Record<string, string> = {}, timeoutMs = 60_000): Promise<CairnRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CAIRN_BIN, ...args], { env: { ...cleanEnv(), ...env }, stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d) => (stdout += d))
    child.stderr.on('data', (d) => (stderr += d))
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs)
    child.on('error', reject)
    child.on('close', (code, signal) => {
      clearTimeout(timer)
      resolve({ code, signal, stdout, stderr })
    })
  })
}

export interface CairnServer {
  apiPort: number
  otlpPort: number | undefined
  apiUrl: string
  otlpUrl: string
  child: ChildProcess
  /** Everything the process printed so far. */
  output(): string
  /** SIGTERM and wait for exit; resolves with the exit code. */
  stop(): Promise<number | null>
}

/**
 * Starts a long-running `cairn <command>` (serve by default) on free ports and
 * resolves once it logs "cairn started". The caller must `stop()` it. `from`
 * runs another copy of cairn (its bin/cairn.js, in its folder).
 */
export function startCairn(env: Record<string, string>, command = 'serve', timeoutMs = 60_000, from: { bin?: string; cwd?: string } = {}): Promise<CairnServer> {
  const child = spawn(process.execPath, [from.bin ?? CAIRN_BIN, command], {
    cwd: from.cwd,
    env: { ...cleanEnv(), CAIRN_HTTP_PORT: '0', CAIRN_OTLP_PORT: '0', CAIRN_HOST: '127.0.0.1', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let out = ''
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)))
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL')
      reject(new Error(`cairn ${command} did not start within ${timeoutMs} ms:\n${out}`))
    }, timeoutMs)
    const onData = (d: Buffer) => {
      out += d
      for (const line of out.split('\n')) {
        if (!line.includes('"cairn started"')) continue
        const started = JSON.parse(line) as { apiPort: number; otlpPort?: number }
        clearTimeout(timer)
        child.stdout!.off('data', onData)
        child.stdout!.on('data', (more) => (out += more))
        resolve({
          apiPort: started.apiPort,
          otlpPort: started.otlpPort,
          apiUrl: `http://127.0.0.1:${started.apiPort}`,
          otlpUrl: `http://127.0.0.1:${started.otlpPort}`,
          child,
          output: () => out,
          stop: async () => {
            if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM')
            return exited
          },
        })
        return
      }
    }
    child.stdout!.on('data', onData)
    child.stderr!.on('data', (d) => (out += d))
    exited.then((code) => {
      clearTimeout(timer)
      reject(new Error(`cairn ${command} exited with ${code} before starting:\n${out}`))
    })
  })
}

/** The parent's environment without CAIRN_* and OTEL_* settings that would leak into a test. */
function cleanEnv(): Record<string, string> {
  const env: Record<string, string> = {}
  for (const [k, v] of Object.entries(process.env)) {
    if (v !== undefined && !k.startsWith('CAIRN_') && !k.startsWith('OTEL_')) env[k] = v
  }
  return env
}
