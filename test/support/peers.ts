import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

// Real inputs from other projects (Sloth, OpenSLO, OTLP examples) live beside
// the repository in shared/peers, not in it. A clone may sit anywhere, so look
// in the places the workplace keeps them, or where CAIRN_PEERS_DIR says.
const repoRoot = fileURLToPath(new URL('../../', import.meta.url))
const candidates = [process.env.CAIRN_PEERS_DIR, join(repoRoot, '..', 'shared', 'peers'), '/work/shared/peers'].filter((p): p is string => !!p)

function findPeersDir(): string {
  const found = candidates.find((p) => existsSync(join(p, 'sloth')))
  if (!found) throw new Error(`peer test data not found in ${candidates.join(', ')}: set CAIRN_PEERS_DIR to the shared/peers folder`)
  return found
}

export const PEERS_DIR = findPeersDir()

/** A path under shared/peers, e.g. peersPath('sloth', 'examples'). */
export function peersPath(...parts: string[]): string {
  return join(PEERS_DIR, ...parts)
}
