import { join } from 'node:path'
import { findPeersDir } from './requirements.ts'

// Real inputs from other projects (Sloth, OpenSLO, OTLP examples) live beside
// the repository in shared/peers, not in it: see peerCandidates() for where
// they are looked for. Tests that read them declare it with requirePeers()
// (test/support/needs.ts), which skips them when the data is not there.

/** A path under shared/peers, e.g. peersPath('sloth', 'examples'); a placeholder when the data is missing. */
export function peersPath(...parts: string[]): string {
  return join(findPeersDir() ?? '/peer-test-data-not-found', ...parts)
}
