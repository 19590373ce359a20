// Inserts one sealed segment into ClickHouse, exactly once however often it is
// retried or replayed after a crash. Every insert covers a range of frames
// chosen by one deterministic bisection of the segment (the whole segment;
// if ClickHouse refuses its rows, each half; …) and carries the token
// `<segment>:<first>-<last>`: ClickHouse skips blocks whose token it already
// stored (non_replicated_deduplication_window), so a range inserted before a
// crash, or by an insert that timed out but completed, is not stored twice.
// Ranges done, and frames refused even alone (dead-lettered), are recorded in
// `<segment>.log` before going on, so a replay skips them.

import { appendFileSync, closeSync, fdatasyncSync, mkdirSync, openSync, readFileSync, readSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { StorageBadDataError, type FileRange } from '../../storage/index.ts'
import type { Segment } from './segment.ts'

type FrameState = 'pending' | 'done' | 'dead'

export interface ShipDeps {
  /** One insert of bytes [start, end) of a segment's rows file with its deduplication token. */
  insert(table: string, file: FileRange, token: string, rows: number): Promise<void>
  /** Frames [first, last] of `segment` were set aside in the dead-letter directory: ClickHouse refused them (or they were corrupt). */
  deadLettered(segment: Segment, first: number, last: number, rows: number, reason: string, file: string): void
  deadLetterDir: string
}

/** What is known of a segment's frames: loaded from its log, kept with it while it is retried. */
const states = new WeakMap<Segment, FrameState[]>()

function frameStates(segment: Segment): FrameState[] {
  let s = states.get(segment)
  if (s) return s
  s = segment.frames.map((): FrameState => 'pending')
  let log = ''
  try {
    log = readFileSync(segment.logPath, 'utf8')
  } catch {
    // No log: nothing of it was inserted in parts.
  }
  for (const line of log.split('\n')) {
    const m = /^(done|dead) (\d+) (\d+)$/.exec(line)
    if (m) for (let i = Number(m[2]); i <= Number(m[3]) && i < s.length; i++) s[i] = m[1] as FrameState
  }
  states.set(segment, s)
  return s
}

/** Marks frames dead before shipping (their bytes failed their checksum at recovery). */
export function markCorrupt(segment: Segment, index: number, deps: ShipDeps, reason: string): void {
  const s = frameStates(segment)
  if (s[index] !== 'pending') return
  deadLetter(segment, index, index, reason, deps)
}

/**
 * Inserts every pending frame of `segment`. Resolves when none is pending;
 * throws the first failure that is not the rows' fault (storage unavailable,
 * a timeout…): the caller retries later, and the same ranges with the same
 * tokens are tried again.
 */
export async function ship(segment: Segment, deps: ShipDeps): Promise<void> {
  if (segment.frames.length === 0) return
  await isolate(segment, 0, segment.frames.length - 1, deps)
}

async function isolate(segment: Segment, first: number, last: number, deps: ShipDeps): Promise<void> {
  const s = frameStates(segment)
  const range = s.slice(first, last + 1)
  if (range.every((x) => x !== 'pending')) return
  const whole = first === 0 && last === segment.frames.length - 1
  if (range.every((x) => x === 'pending')) {
    const start = segment.frames[first]!.start
    const end = segment.frames[last]!.end
    const rows = segment.frames.slice(first, last + 1).reduce((n, f) => n + f.rows, 0)
    try {
      await deps.insert(segment.table, { path: segment.dataPath, start, end }, `${segment.name}:${first}-${last}`, rows)
      // The whole segment is removed once inserted: only parts need recording.
      if (!whole) record(segment, 'done', first, last)
      for (let i = first; i <= last; i++) s[i] = 'done'
      return
    } catch (err) {
      if (!(err instanceof StorageBadDataError)) throw err
      if (first === last) {
        deadLetter(segment, first, last, err.message.split('\n')[0] ?? 'refused', deps)
        return
      }
    }
  }
  const mid = Math.floor((first + last) / 2)
  await isolate(segment, first, mid, deps)
  await isolate(segment, mid + 1, last, deps)
}

/** Appends a line to the segment's log and makes it durable before going on. */
function record(segment: Segment, what: 'done' | 'dead', first: number, last: number): void {
  appendFileSync(segment.logPath, `${what} ${first} ${last}\n`)
  const fd = openSync(segment.logPath, 'r')
  try {
    fdatasyncSync(fd)
  } finally {
    closeSync(fd)
  }
}

/** Copies frames [first, last] to the dead-letter directory (rows file plus a JSON note), durably, then records them dead. */
function deadLetter(segment: Segment, first: number, last: number, reason: string, deps: ShipDeps): void {
  mkdirSync(deps.deadLetterDir, { recursive: true })
  const stem = join(deps.deadLetterDir, `${segment.name}.${first}-${last}`)
  const start = segment.frames[first]!.start
  const end = segment.frames[last]!.end
  const rows = segment.frames.slice(first, last + 1).reduce((n, f) => n + f.rows, 0)
  const bytes = Buffer.alloc(end - start)
  const src = openSync(segment.dataPath, 'r')
  try {
    for (let done = 0; done < bytes.length; ) {
      const n = readSync(src, bytes, done, bytes.length - done, start + done)
      if (n === 0) break
      done += n
    }
  } finally {
    closeSync(src)
  }
  durableWrite(`${stem}.rows`, bytes)
  durableWrite(`${stem}.json`, Buffer.from(JSON.stringify({ table: segment.table, segment: segment.name, frames: [first, last], rows, reason, at: new Date().toISOString() }, null, 2) + '\n'))
  record(segment, 'dead', first, last)
  const s = frameStates(segment)
  for (let i = first; i <= last; i++) s[i] = 'dead'
  deps.deadLettered(segment, first, last, rows, reason, `${stem}.rows`)
}

function durableWrite(path: string, bytes: Buffer): void {
  writeFileSync(path, bytes)
  const fd = openSync(path, 'r+')
  try {
    fdatasyncSync(fd)
  } finally {
    closeSync(fd)
  }
}
