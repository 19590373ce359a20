import { createHash } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { fileURLToPath } from 'node:url'

// The UI's static files: our own client scripts and style sheet from
// ui/static, and uPlot from node_modules. Read once at start (about 70 KiB in
// all), each with a content hash: pages link `<name>?v=<hash>`, so a browser
// caches a file for good and still sees a new version at once. Nothing is
// fetched from outside: cairn may run air-gapped.

export const ASSET_PREFIX = '/ui/assets'

interface Asset {
  body: Buffer
  type: string
  hash: string
}

const require = createRequire(import.meta.url)
const own = (name: string) => fileURLToPath(new URL(`./static/${name}`, import.meta.url))

const SOURCES: Record<string, string> = {
  'cairn.css': own('cairn.css'),
  'common.js': own('common.js'),
  'overview.js': own('overview.js'),
  'slo.js': own('slo.js'),
  'validate.js': own('validate.js'),
  'uPlot.js': require.resolve('uplot/dist/uPlot.iife.min.js'),
  'uPlot.css': require.resolve('uplot/dist/uPlot.min.css'),
}

const TYPES: Record<string, string> = { js: 'text/javascript; charset=utf-8', css: 'text/css; charset=utf-8' }

function load(): Map<string, Asset> {
  const out = new Map<string, Asset>()
  for (const [name, path] of Object.entries(SOURCES)) {
    const body = readFileSync(path)
    out.set(name, { body, type: TYPES[name.split('.').pop()!]!, hash: createHash('sha256').update(body).digest('hex').slice(0, 12) })
  }
  return out
}

export type AssetName = keyof typeof SOURCES

export interface Assets {
  /** The versioned URL a page links to. */
  url(name: AssetName): string
  get(name: string): Asset | undefined
}

export function loadAssets(): Assets {
  const assets = load()
  return {
    url: (name) => `${ASSET_PREFIX}/${name}?v=${assets.get(name)!.hash}`,
    get: (name) => assets.get(name),
  }
}
