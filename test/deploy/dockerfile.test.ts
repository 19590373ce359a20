import { spawnSync } from 'node:child_process'
import { cpSync, existsSync, linkSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { homedir } from 'node:os'
import { delimiter, join, posix, relative } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, describe, expect, it } from 'vitest'
import { configSchema } from '../../config/index.ts'
import { startCairn } from '../support/cairn-process.ts'
import { argsOf, copyOf, dockerignore, envOf, parseDockerfile } from '../support/dockerfile.ts'
import { tempDir } from '../support/temp.ts'

// The image, built without Docker: the Dockerfile's COPY lines copy exactly
// what they name (less what .dockerignore leaves out of the context) into a
// temporary image root, its RUN lines run there with its ENV, and its
// ENTRYPOINT + CMD must serve until /readyz answers. A folder the image lacks,
// a runtime dependency left in devDependencies or an install the lock file
// refuses fails here, not at `docker-compose up`.

const root = fileURLToPath(new URL('../../', import.meta.url))
const DOCKERFILE = join(root, 'Dockerfile')
const ignored = dockerignore(readFileSync(join(root, '.dockerignore'), 'utf8'))
const image = tempDir('cairn-image-')
const scratch = tempDir('cairn-image-build-')
afterAll(() => {
  image.remove()
  scratch.remove()
})

/** The host path of a path in the image. */
const host = (path: string) => join(image.path, path)

describe('the container image', () => {
  it('leaves the build context lean: no node_modules, .git or data', () => {
    for (const path of ['node_modules', 'node_modules/chdb/index.js', '.git', 'data', 'test/support/temp.ts']) expect(ignored(path), path).toBe(true)
  })

  it('builds from the Dockerfile and serves until /readyz answers', { timeout: 900_000 }, async () => {
    const env: Record<string, string> = {}
    let workdir = '/'
    let user = 'root'
    let entrypoint: string[] = []
    let cmd: string[] = []
    const exposed: string[] = []
    const volumes: string[] = []
    const chownLog = join(scratch.path, 'chown.log')
    const buildEnv = { ...withoutNpmSettings(), npm_config_cache: seededNpmCache(), npm_config_prefer_offline: 'true', PATH: `${chownShim(chownLog)}${delimiter}${process.env.PATH}`, CHOWN_LOG: chownLog }

    for (const { line, op, text } of parseDockerfile(DOCKERFILE)) {
      const where = `Dockerfile:${line}: ${op} ${text}`
      if (op === 'FROM') expect(Number(/^node:(\d+)/.exec(text)?.[1]), where).toBeGreaterThanOrEqual(nodeMajorRequired())
      else if (op === 'WORKDIR') mkdirSync(host((workdir = posix.resolve(workdir, text))), { recursive: true })
      else if (op === 'ENV') Object.assign(env, envOf(text))
      else if (op === 'USER') user = text.split(':')[0]!
      else if (op === 'ENTRYPOINT') entrypoint = argsOf(text)
      else if (op === 'CMD') cmd = argsOf(text)
      else if (op === 'EXPOSE') exposed.push(...argsOf(text))
      else if (op === 'VOLUME') volumes.push(...argsOf(text).map((v) => posix.resolve(workdir, v)))
      else if (op === 'COPY') copy(text, workdir, where)
      else if (op === 'RUN') {
        const run = spawnSync('/bin/sh', ['-c', text], { cwd: host(workdir), env: { ...buildEnv, ...env }, encoding: 'utf8', timeout: 600_000 })
        expect(run.status, `${where}\n${run.stdout}${run.stderr}`).toBe(0)
      }
    }

    // The server runs as USER: what it writes must belong to that user.
    const dataDir = posix.resolve(workdir, env.CAIRN_DATA_DIR ?? 'data')
    if (user !== 'root') expect(chownedTo(chownLog, user), `USER ${user} cannot write ${dataDir}: chown it in a RUN line`).toContain(host(dataDir))
    expect(volumes, `the embedded store ${dataDir} is a VOLUME, so it outlives the container`).toContain(dataDir)
    const defaults = configSchema.parse({})
    expect(exposed.sort(), 'EXPOSE the default ports').toEqual([String(defaults.collector.port), String(defaults.api.port)].sort())

    const [node, bin, ...args] = [...entrypoint, ...cmd]
    expect([node, bin, args]).toEqual(['node', 'bin/cairn.js', ['serve']])
    const imageEnv = Object.fromEntries(Object.entries(env).map(([k, v]) => [k, v.startsWith('/') ? host(v) : v]))
    const cairn = await startCairn(imageEnv, args[0], 120_000, { bin: host(posix.join(workdir, bin!)), cwd: host(workdir) })
    try {
      const ready = await fetch(`${cairn.apiUrl}/readyz`)
      expect([ready.status, await ready.json()]).toEqual([200, expect.objectContaining({ status: 'ready' })])
      const accepted = await fetch(`${cairn.otlpUrl}/v1/traces`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"resourceSpans":[]}' })
      expect(accepted.status).toBe(200)
      expect(existsSync(host(dataDir)), `the embedded store is in ${dataDir}`).toBe(true)
      // The UI and every script and style it links (uPlot comes from node_modules).
      const page = await fetch(`${cairn.apiUrl}/`)
      expect(page.status).toBe(200)
      const assets = [...(await page.text()).matchAll(/(?:src|href)="(\/ui\/assets\/[^"]+)"/g)].map((m) => m[1]!)
      expect(assets.length).toBeGreaterThan(0)
      for (const asset of assets) expect((await fetch(`${cairn.apiUrl}${asset}`)).status, asset).toBe(200)
    } finally {
      expect(await cairn.stop(), cairn.output()).toBe(0)
    }
  })
})

/** COPY [--flags] SRC… DEST, from the repository (the build context) into the image. */
function copy(text: string, workdir: string, where: string): void {
  const { sources, dest } = copyOf(text)
  const target = posix.resolve(workdir, dest)
  for (const source of sources) {
    expect(existsSync(join(root, source)), `${where}: ${source} is not in the repository`).toBe(true)
    expect(ignored(source), `${where}: ${source} is left out of the build context by .dockerignore`).toBe(false)
    const into = dest.endsWith('/') && statSync(join(root, source)).isFile() ? posix.join(target, posix.basename(source)) : target
    cpSync(join(root, source), host(into), { recursive: true, filter: (from) => !ignored(relative(root, from).split('\\').join('/')) || from === join(root, source) })
  }
}

/** A `chown` first on PATH that writes down what it was asked: the test cannot make the image's users. */
function chownShim(log: string): string {
  const dir = join(scratch.path, 'shim')
  mkdirSync(dir, { recursive: true })
  writeFileSync(join(dir, 'chown'), '#!/bin/sh\nprintf "%s\\t%s\\n" "$PWD" "$*" >> "$CHOWN_LOG"\n', { mode: 0o755 })
  return dir
}

/** The host paths chowned to `user`, resolved against the folder of each call. */
function chownedTo(log: string, user: string): string[] {
  if (!existsSync(log)) return []
  return readFileSync(log, 'utf8').trim().split('\n').flatMap((entry) => {
    const [cwd = '', args = ''] = entry.split('\t')
    const [owner = '', ...paths] = args.split(' ').filter((a) => !a.startsWith('-'))
    return owner.split(':')[0] === user ? paths.map((p) => (p.startsWith('/') ? host(p) : join(cwd, p))) : []
  })
}

/**
 * An npm cache for the build: the machine's own, its package contents linked
 * (not copied) and its index copied, so the install needs no download when the
 * packages were fetched before, and the Dockerfile's `npm cache clean` wipes
 * only this copy.
 */
function seededNpmCache(): string {
  const cache = join(scratch.path, 'npm-cache')
  const mine = join(process.env.npm_config_cache ?? join(homedir(), '.npm'), '_cacache')
  mkdirSync(join(cache, '_cacache'), { recursive: true })
  if (!existsSync(mine)) return cache
  try {
    cpSync(join(mine, 'index-v5'), join(cache, '_cacache', 'index-v5'), { recursive: true })
    linkTree(join(mine, 'content-v2'), join(cache, '_cacache', 'content-v2'))
  } catch {
    // another file system, or no cache yet: npm downloads what it needs
  }
  return cache
}

function linkTree(from: string, to: string): void {
  mkdirSync(to, { recursive: true })
  for (const entry of readdirSync(from, { withFileTypes: true })) {
    if (entry.isDirectory()) linkTree(join(from, entry.name), join(to, entry.name))
    else linkSync(join(from, entry.name), join(to, entry.name))
  }
}

/** This environment without the npm_* settings `npm test` passes down: the image's npm has none. */
function withoutNpmSettings(): Record<string, string> {
  return Object.fromEntries(Object.entries(process.env).filter((e): e is [string, string] => e[1] !== undefined && !/^npm_/i.test(e[0])))
}

function nodeMajorRequired(): number {
  const engines = (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { engines: { node: string } }).engines.node
  return Number(/\d+/.exec(engines)![0])
}
