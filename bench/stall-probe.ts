// The parent's side of the stall probe (healthz-probe.ts, in its own process).

import { fork, type ChildProcess } from 'node:child_process'
import { fileURLToPath } from 'node:url'

export interface StallWindow {
  /** The longest /healthz round trip in the window, ms. */
  maxMs: number
  /** The server's largest resident set seen in the window, bytes. */
  maxRssBytes: number
  polls: number
  failures: number
}

export class StallProbe {
  private constructor(private readonly child: ChildProcess) {}

  static async start(apiUrl: string, serverPid: number): Promise<StallProbe> {
    const child = fork(fileURLToPath(new URL('./healthz-probe.ts', import.meta.url)), [`${apiUrl}/healthz`, String(serverPid)], { execArgv: ['--import', 'tsx'], stdio: 'inherit' })
    const probe = new StallProbe(child)
    await new Promise((r) => setTimeout(r, 300))
    await probe.mark()
    return probe
  }

  /** Ends the current window and starts the next. */
  mark(): Promise<StallWindow> {
    return new Promise((resolve) => {
      this.child.once('message', (m) => resolve(m as StallWindow))
      this.child.send('mark')
    })
  }

  /** Measures the window around `work`. */
  async around<T>(work: () => Promise<T>): Promise<{ result: T; window: StallWindow }> {
    await this.mark()
    const result = await work()
    // One more round trip after the answer: a stall that began just before it is counted.
    await new Promise((r) => setTimeout(r, 30))
    return { result, window: await this.mark() }
  }

  stop(): Promise<void> {
    return new Promise((resolve) => {
      if (this.child.exitCode !== null) return resolve()
      this.child.once('exit', () => resolve())
      this.child.send('stop')
    })
  }
}
