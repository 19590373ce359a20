import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

/**
 * A fresh temporary directory; call `remove()` in afterAll/afterEach. Made on
 * first use of `path`, so a file whose tests are all skipped (a missing tool,
 * and so no hooks run) leaves nothing behind.
 */
export function tempDir(prefix = 'cairn-test-'): { readonly path: string; remove(): void } {
  let path: string | undefined
  return {
    get path() {
      return (path ??= mkdtempSync(join(tmpdir(), prefix)))
    },
    remove: () => {
      if (path) rmSync(path, { recursive: true, force: true })
    },
  }
}
