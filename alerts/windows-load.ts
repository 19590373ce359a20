import { readdirSync, readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'
import type { AlertPolicySpec } from '../slo-engine/index.ts'
import { mergeWindows, parseWindowsFile, WindowsFileError } from './windows-file.ts'

/** Reads AlertWindows files: each path a file, or a directory whose *.yaml / *.yml files are read in name order. */
export function loadWindows(paths: readonly string[]): Map<number, AlertPolicySpec> {
  const files: string[] = []
  for (const path of paths) {
    let isDir: boolean
    try {
      isDir = statSync(path).isDirectory()
    } catch (err) {
      throw new WindowsFileError([`${path}: cannot read alert windows: ${(err as NodeJS.ErrnoException).code ?? String(err)}`])
    }
    if (!isDir) files.push(path)
    else files.push(...readdirSync(path).filter((f) => /\.ya?ml$/.test(f)).sort().map((f) => join(path, f)))
  }
  return mergeWindows(files.map((file) => ({ file, policies: parseWindowsFile(readFileSync(file, 'utf8'), file) })))
}
