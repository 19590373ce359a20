// One process per queue directory: a second would insert the same segments.
// The lock is a file holding the owner's pid, created exclusively; one left by
// a process that is gone (killed) is taken over.

import { closeSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs'
import { join } from 'node:path'

/** Takes `dir`'s lock or throws, naming the process that holds it; release() gives it back. */
export function lockQueueDir(dir: string): { release(): void } {
  const path = join(dir, 'LOCK')
  for (;;) {
    try {
      const fd = openSync(path, 'wx')
      writeSync(fd, String(process.pid))
      closeSync(fd)
      return { release: () => rmSync(path, { force: true }) }
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err
    }
    const holder = Number(readFileSync(path, 'utf8'))
    if (holder && holder !== process.pid && alive(holder)) {
      throw new Error(`the ingest queue directory ${dir} is in use by process ${holder}: give each collector its own (collector.queue.dir, CAIRN_COLLECTOR_QUEUE_DIR)`)
    }
    rmSync(path, { force: true })
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'
  }
}
