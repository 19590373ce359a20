// One segment of the write-ahead queue: one table's rows as RowBinary frames
// (one frame per request) appended to `<name>.rows`, and an index
// `<name>.idx` of 16-byte records: frame length, rows, CRC-32 of the frame,
// CRC-32 of the record's first 12 bytes. The rows file holds nothing but rows,
// so ClickHouse reads it as it is; the index says where frames end and whether
// they are whole, so a tail torn by a crash is found and cut at recovery.
// Appends are synchronous writes into the page cache (a request's rows, in
// order); durability comes from sync(), which the queue runs for many
// requests at once (group commit).

import { closeSync, fdatasync, ftruncateSync, openSync, readFileSync, readSync, rmSync, statSync, writeSync } from 'node:fs'
import { randomBytes } from 'node:crypto'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { crc32 } from 'node:zlib'

const fdatasyncAsync = promisify(fdatasync)
const RECORD_BYTES = 16

export interface Frame {
  start: number
  end: number
  rows: number
}

/** A frame whose bytes do not match their checksum: found at recovery, never inserted. */
export interface CorruptFrame {
  index: number
  start: number
  end: number
}

export class Segment {
  readonly frames: Frame[] = []
  readonly days = new Set<number>()
  bytes = 0
  rows = 0
  /** No more appends: waiting for, or in, its insert. */
  sealed = false
  /** Frames written since the last sync. */
  dirty = false
  private dataFd: number | undefined
  private indexFd: number | undefined

  private constructor(
    readonly dir: string,
    readonly table: string,
    /** `<table>.<created ms, base 36>-<random>`: unique across restarts, the stem of its insert tokens. */
    readonly name: string,
    /** When it was created (ms): the age of its oldest row. */
    readonly createdAt: number,
  ) {}

  get dataPath(): string {
    return join(this.dir, `${this.name}.rows`)
  }

  get indexPath(): string {
    return join(this.dir, `${this.name}.idx`)
  }

  get logPath(): string {
    return join(this.dir, `${this.name}.log`)
  }

  static create(dir: string, table: string, now = Date.now()): Segment {
    const segment = new Segment(dir, table, `${table}.${now.toString(36)}-${randomBytes(6).toString('hex')}`, now)
    segment.dataFd = openSync(segment.dataPath, 'wx')
    segment.indexFd = openSync(segment.indexPath, 'wx')
    return segment
  }

  /**
   * Appends one request's rows. On a failed write (disk full, I/O error) the
   * files are cut back to the frames before, and the error is thrown.
   */
  append(payload: Buffer, rows: number, days: readonly number[]): void {
    if (this.sealed || this.dataFd === undefined || this.indexFd === undefined) throw new Error(`segment ${this.name} is sealed`)
    const record = Buffer.alloc(RECORD_BYTES)
    record.writeUInt32LE(payload.length, 0)
    record.writeUInt32LE(rows, 4)
    record.writeUInt32LE(crc32(payload), 8)
    record.writeUInt32LE(crc32(record.subarray(0, 12)), 12)
    try {
      writeAll(this.dataFd, payload, this.bytes)
      writeAll(this.indexFd, record, this.frames.length * RECORD_BYTES)
    } catch (err) {
      try {
        ftruncateSync(this.dataFd, this.bytes)
        ftruncateSync(this.indexFd, this.frames.length * RECORD_BYTES)
      } catch {
        // Cannot even cut back: no more appends here; recovery cuts the torn tail by its checksums.
        this.sealed = true
      }
      throw err
    }
    this.frames.push({ start: this.bytes, end: this.bytes + payload.length, rows })
    this.bytes += payload.length
    this.rows += rows
    for (const d of days) this.days.add(d)
    this.dirty = true
  }

  /** Makes every frame appended so far durable: the rows first, then the index that vouches for them. */
  async sync(): Promise<void> {
    if (!this.dirty || this.dataFd === undefined || this.indexFd === undefined) return
    this.dirty = false
    await fdatasyncAsync(this.dataFd)
    await fdatasyncAsync(this.indexFd)
  }

  /** No more appends; the files stay until the rows are inserted. */
  seal(): void {
    this.sealed = true
  }

  /** Closes the files (after the last sync). */
  close(): void {
    if (this.dataFd !== undefined) closeSync(this.dataFd)
    if (this.indexFd !== undefined) closeSync(this.indexFd)
    this.dataFd = this.indexFd = undefined
  }

  remove(): void {
    this.close()
    for (const path of [this.dataPath, this.indexPath, this.logPath]) rmSync(path, { force: true })
  }

  /**
   * Reads a segment left by an earlier process: whole frames whose checksum
   * holds are kept, the rows file is cut after the last whole frame (a torn
   * tail was never acknowledged: its sync had not returned), and frames whose
   * bytes do not match their checksum are returned as corrupt.
   */
  static recover(dir: string, name: string): { segment: Segment; corrupt: CorruptFrame[] } {
    const segment = new Segment(dir, name.slice(0, name.indexOf('.')), name, createdOf(name) || Date.now())
    const index = readFileSync(segment.indexPath)
    const dataSize = statSync(segment.dataPath).size
    const corrupt: CorruptFrame[] = []
    const dataFd = openSync(segment.dataPath, 'r+')
    try {
      let offset = 0
      for (let at = 0; at + RECORD_BYTES <= index.length; at += RECORD_BYTES) {
        const record = index.subarray(at, at + RECORD_BYTES)
        if (crc32(record.subarray(0, 12)) !== record.readUInt32LE(12)) break
        const length = record.readUInt32LE(0)
        if (offset + length > dataSize) break
        const bytes = Buffer.alloc(length)
        readAll(dataFd, bytes, offset)
        const frame = { start: offset, end: offset + length, rows: record.readUInt32LE(4) }
        if (crc32(bytes) !== record.readUInt32LE(8)) corrupt.push({ index: segment.frames.length, ...frame })
        segment.frames.push(frame)
        segment.rows += frame.rows
        offset += length
      }
      segment.bytes = offset
      if (dataSize > offset) ftruncateSync(dataFd, offset)
    } finally {
      closeSync(dataFd)
    }
    segment.sealed = true
    return { segment, corrupt }
  }
}

/** When a segment was created, from its name (0 when the name is not one of ours). */
export function createdOf(name: string): number {
  return parseInt(name.slice(name.indexOf('.') + 1).split('-')[0] ?? '', 36) || 0
}

function writeAll(fd: number, buffer: Buffer, position: number): void {
  for (let done = 0; done < buffer.length; ) done += writeSync(fd, buffer, done, buffer.length - done, position + done)
}

function readAll(fd: number, buffer: Buffer, position: number): void {
  // A short read here means the file shrank under us: the frame is treated as corrupt by its checksum.
  for (let done = 0; done < buffer.length; ) {
    const n = readSync(fd, buffer, done, buffer.length - done, position + done)
    if (n === 0) return
    done += n
  }
}
