import { readdir, readFile, stat } from 'node:fs/promises'
import { join } from 'node:path'
import type { SpecError } from './errors.ts'
import { parseSpecSet, type ParsedSpecs, type SpecFile, type SpecParseOptions } from './parse.ts'

const SPEC_FILE = /\.ya?ml$/i

/**
 * Reads the given files, and every *.yaml / *.yml file under the given
 * directories (recursively, in name order, skipping dot-files), and parses
 * them as one set.
 */
export async function loadSloFiles(paths: readonly string[], options?: SpecParseOptions): Promise<ParsedSpecs> {
  const errors: SpecError[] = []
  const files: SpecFile[] = []
  for (const path of paths) {
    for (const file of await specFiles(path, errors)) {
      try {
        files.push({ file, text: await readFile(file, 'utf8') })
      } catch (err) {
        errors.push(unreadable(file, err))
      }
    }
  }
  const parsed = parseSpecSet(files, options)
  return { slos: parsed.slos, errors: [...errors, ...parsed.errors] }
}

/**
 * A fingerprint of the spec files under `paths` (names, sizes, modification
 * times): equal fingerprints mean nothing to parse again.
 */
export async function specFilesFingerprint(paths: readonly string[]): Promise<string> {
  const parts: string[] = []
  for (const path of paths) {
    const missing: SpecError[] = []
    const files = await specFiles(path, missing)
    if (missing.length > 0) parts.push(`${path}\u0000unreadable`)
    for (const file of files) {
      try {
        const info = await stat(file)
        parts.push(`${file}\u0000${info.size}\u0000${info.mtimeMs}`)
      } catch {
        parts.push(`${file}\u0000gone`)
      }
    }
  }
  return parts.join('\n')
}

async function specFiles(path: string, errors: SpecError[]): Promise<string[]> {
  let info
  try {
    info = await stat(path)
  } catch (err) {
    errors.push(unreadable(path, err))
    return []
  }
  if (!info.isDirectory()) return [path]
  const found: string[] = []
  const entries = (await readdir(path, { withFileTypes: true })).sort((a, b) => a.name.localeCompare(b.name))
  for (const entry of entries) {
    if (entry.name.startsWith('.')) continue
    const child = join(path, entry.name)
    if (entry.isDirectory()) found.push(...(await specFiles(child, errors)))
    else if (SPEC_FILE.test(entry.name)) found.push(child)
  }
  return found
}

function unreadable(file: string, err: unknown): SpecError {
  const code = (err as NodeJS.ErrnoException).code
  const reason = code === 'ENOENT' ? 'no such file or directory' : code === 'EACCES' ? 'permission denied' : (err as Error).message
  return { file, line: 1, column: 1, message: `cannot read: ${reason}` }
}
