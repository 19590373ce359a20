import { accessSync, constants, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { delimiter, dirname, join, resolve } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'

// What some tests need from outside the repository, found once per process:
// the peer test data and the real tools from Debian. A missing one skips the
// tests that need it (one summary line at the end of the run) unless
// CAIRN_TEST_STRICT=1, under which it fails them. No vitest import here: the
// global setup and .ci/run use this module too.

/** Tools the tests run for real: the names a binary goes by, and its Debian package. */
export const TOOLS = {
  promtool: { binaries: ['promtool'], debian: 'prometheus' },
  prometheus: { binaries: ['prometheus'], debian: 'prometheus' },
  // Debian renames Alertmanager's binary; upstream builds and Homebrew keep `alertmanager`.
  alertmanager: { binaries: ['prometheus-alertmanager', 'alertmanager'], debian: 'prometheus-alertmanager' },
  amtool: { binaries: ['amtool'], debian: 'prometheus-alertmanager' },
  'docker-compose': { binaries: ['docker-compose'], debian: 'docker-compose' },
  chromium: { binaries: ['chromium', 'chromium-browser'], debian: 'chromium' },
  // In /usr/sbin, which a user's PATH may leave out.
  nginx: { binaries: ['nginx', '/usr/sbin/nginx'], debian: 'nginx-light' },
} as const satisfies Record<string, { binaries: readonly string[]; debian: string }>

export type ToolName = keyof typeof TOOLS
export type RequirementName = ToolName | 'peers'

export const STRICT_ENV = 'CAIRN_TEST_STRICT'
export const PEERS_ENV = 'CAIRN_PEERS_DIR'
/** Where test processes leave a note of what they skipped (set by the global setup). */
export const SKIPS_DIR_ENV = 'CAIRN_TEST_SKIPS_DIR'

export const strict = (): boolean => process.env[STRICT_ENV] === '1'

const repoRoot = fileURLToPath(new URL('../../', import.meta.url))

/** `binary` on PATH (or the absolute path given, if executable), as an absolute path, or undefined. */
function onPath(binary: string): string | undefined {
  if (binary.startsWith('/')) return executable(binary) ? binary : undefined
  for (const dir of (process.env.PATH ?? '').split(delimiter).filter(Boolean)) {
    const file = join(dir, binary)
    if (executable(file)) return file
  }
  return undefined
}

function executable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK)
    return true
  } catch {
    return false
  }
}

const toolPaths = new Map<ToolName, string | undefined>()

/** The tool's binary on PATH, or undefined when it is not installed. */
export function findTool(tool: ToolName): string | undefined {
  if (!toolPaths.has(tool)) toolPaths.set(tool, TOOLS[tool].binaries.map(onPath).find(Boolean))
  return toolPaths.get(tool)
}

/** The tool's binary; throws, saying how to get it, when it is missing. */
export function toolPath(tool: ToolName): string {
  const path = findTool(tool)
  if (!path) throw new Error(`${tool} not found on PATH: ${howToGet(tool)}`)
  return path
}

// ---- peer test data ---------------------------------------------------------

/**
 * Where the peer data (Sloth, OpenSLO and OTLP inputs) may be: CAIRN_PEERS_DIR
 * when set (and then only there), else a `shared/peers` folder beside the
 * clone, or, for a git worktree, beside its main clone. Never a fixed path on
 * some machine: a fresh clone elsewhere finds nothing and skips those tests.
 */
export function peerCandidates(): string[] {
  const fromEnv = process.env[PEERS_ENV]
  if (fromEnv) return [resolve(fromEnv)]
  const clones = [repoRoot, mainCloneOf(repoRoot)].filter((d): d is string => !!d)
  return [...new Set(clones.map((clone) => resolve(clone, '..', 'shared', 'peers')))]
}

/**
 * The main clone of a git worktree: its `.git` is a file naming the worktree's
 * git dir, whose `commondir` leads to the main clone's `.git`. Read directly,
 * so finding the data does not depend on git being on PATH.
 */
function mainCloneOf(dir: string): string | undefined {
  try {
    const gitDir = /^gitdir: (.+)$/m.exec(readFileSync(join(dir, '.git'), 'utf8'))?.[1]
    if (!gitDir) return undefined
    const common = resolve(dir, gitDir, readFileSync(join(resolve(dir, gitDir), 'commondir'), 'utf8').trim())
    return dirname(common)
  } catch {
    return undefined // a plain clone (.git is a folder) or no git at all
  }
}

const isPeersDir = (dir: string) => ['sloth', 'openslo', 'otlp'].every((d) => existsSync(join(dir, d)))

let peers: { dir?: string } | undefined

/** The peer data folder, or undefined when none of the candidates holds it. */
export function findPeersDir(): string | undefined {
  peers ??= { dir: peerCandidates().find(isPeersDir) }
  return peers.dir
}

// ---- what is missing, and how to get it ---------------------------------------

export function isAvailable(name: RequirementName): boolean {
  return name === 'peers' ? findPeersDir() !== undefined : findTool(name) !== undefined
}

export function howToGet(name: RequirementName): string {
  if (name === 'peers') {
    const where = process.env[PEERS_ENV] ? `${PEERS_ENV}=${process.env[PEERS_ENV]} has no sloth/, openslo/ and otlp/` : `not in ${peerCandidates().join(' or ')}`
    return `peer test data ${where}: set ${PEERS_ENV} to a shared/peers folder`
  }
  return `${TOOLS[name].binaries.join(' or ')}: Debian package ${TOOLS[name].debian}`
}

/** The Debian packages providing tools that are not on PATH (for .ci/run). */
export function missingDebianPackages(): string[] {
  const tools = Object.keys(TOOLS) as ToolName[]
  return [...new Set(tools.filter((t) => !findTool(t)).map((t) => TOOLS[t].debian))].sort()
}

// ---- notes of skipped tests, one file per test process ------------------------

export interface SkipNote {
  file: string
  missing: RequirementName[]
}

/** Leaves a note that tests of `file` were skipped (or failed, when strict) for want of `missing`. */
export function noteSkip(note: SkipNote): void {
  const dir = process.env[SKIPS_DIR_ENV]
  if (!dir) return
  mkdirSync(dir, { recursive: true })
  writeFileSync(join(dir, `${process.pid}-${Date.now()}-${Math.random().toString(36).slice(2)}.json`), JSON.stringify(note))
}

export function readSkipNotes(dir: string): SkipNote[] {
  if (!existsSync(dir)) return []
  return readdirSync(dir).map((f) => JSON.parse(readFileSync(join(dir, f), 'utf8')) as SkipNote)
}

/** The one line printed at the end of a run that skipped tests, or undefined when none was. */
export function skipSummary(notes: SkipNote[], isStrict = strict()): string | undefined {
  const files = new Map<RequirementName, Set<string>>()
  for (const { file, missing } of notes) for (const name of missing) files.set(name, (files.get(name) ?? new Set()).add(file))
  if (files.size === 0) return undefined
  const allFiles = new Set(notes.map((n) => n.file))
  const what = [...files].map(([name, f]) => `${howToGet(name)} (${f.size} file${f.size === 1 ? '' : 's'})`).join('; ')
  return isStrict
    ? `${STRICT_ENV}=1: failed the tests in ${allFiles.size} file(s) that need what is missing: ${what}`
    : `Skipped the tests in ${allFiles.size} file(s) that need what is missing: ${what}. ${STRICT_ENV}=1 makes this a failure.`
}

// `node --import tsx test/support/requirements.ts missing-debian-packages`: what .ci/run installs.
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  if (process.argv[2] !== 'missing-debian-packages') {
    process.stderr.write('usage: requirements.ts missing-debian-packages\n')
    process.exit(2)
  }
  process.stdout.write(missingDebianPackages().join(' ') + '\n')
}
