// What an earlier process left in a queue directory: its segments, oldest
// first, to be inserted before anything new. Frames that fail their checksum
// (disk corruption, or a write torn by a crash before it was acknowledged)
// are set aside in the dead-letter directory; segments with no frame go.

import { readdirSync } from 'node:fs'
import { createdOf, Segment } from './segment.ts'
import { markCorrupt, type ShipDeps } from './shipper.ts'

const CORRUPT = 'the frame does not match its checksum (disk corruption, or a write torn by a crash before it was acknowledged)'

/** The segments left in `dir`, oldest first, their corrupt frames dead-lettered. */
export function segmentsLeftIn(dir: string, deps: ShipDeps): Segment[] {
  const names = readdirSync(dir)
    .filter((f) => f.endsWith('.idx'))
    .map((f) => f.slice(0, -'.idx'.length))
    .sort((a, b) => createdOf(a) - createdOf(b))
  const left: Segment[] = []
  for (const name of names) {
    const { segment, corrupt } = Segment.recover(dir, name)
    if (segment.frames.length === 0) {
      segment.remove()
      continue
    }
    for (const frame of corrupt) markCorrupt(segment, frame.index, deps, CORRUPT)
    left.push(segment)
  }
  return left
}
