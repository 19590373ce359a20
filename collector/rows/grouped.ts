// Rows of a grouped ingest table (collector/tables.ts): one row per
// resource+scope group, the group's own columns first, then one Array per item
// field holding that field of every item of the group. Items are written field
// by field into one writer per column as the decoder meets the fields, in
// whatever order they come; the row is assembled when the group closes.

import { BinaryWriter } from './binary.ts'

/** The item columns of a grouped table: one writer per column, one value per item in each. */
export class ItemColumns {
  readonly columns: BinaryWriter[]
  /** Where the current item's value starts in each column. */
  private readonly marks: number[]
  items = 0

  /** `defaults`: the encoded value of each column for an item that does not set it. */
  constructor(private readonly defaults: readonly Buffer[]) {
    this.columns = defaults.map(() => new BinaryWriter(16 * 1024))
    this.marks = defaults.map(() => 0)
  }

  /** Starts an item. */
  begin(): void {
    for (let i = 0; i < this.columns.length; i++) this.marks[i] = this.columns[i]!.pos
  }

  /** Column `i`'s writer, emptied of the current item's value: a field sent twice keeps its last value. */
  set(i: number): BinaryWriter {
    const w = this.columns[i]!
    w.pos = this.marks[i]!
    return w
  }

  /** Ends an item: columns it did not set get their default. */
  end(): void {
    for (let i = 0; i < this.columns.length; i++) {
      const w = this.columns[i]!
      if (w.pos === this.marks[i]) {
        const d = this.defaults[i]!
        w.raw(d, 0, d.length)
      }
    }
    this.items++
  }

  /** Where the current item's value of column `i` starts. */
  valueStart(i: number): number {
    return this.marks[i]!
  }

  /** Drops the current item (refused). */
  discard(): void {
    for (let i = 0; i < this.columns.length; i++) this.columns[i]!.pos = this.marks[i]!
  }

  /** Appends each column as an Array of the items to `out`, then empties the columns. */
  flushInto(out: BinaryWriter): void {
    for (const w of this.columns) {
      out.varint(this.items)
      out.raw(w.buf, 0, w.pos)
      w.pos = 0
    }
    this.items = 0
  }

  /** Empties the columns (a new request; a failed one may have left an item half written). */
  clear(): void {
    for (const w of this.columns) w.pos = 0
    this.items = 0
  }
}

/** The output of one request for a grouped table: rows of groups, each a head then the item arrays. */
export class GroupedRows {
  private group: object | undefined
  private head: Buffer | undefined
  /** Items written (all groups). */
  rows = 0

  constructor(
    readonly out: BinaryWriter,
    readonly items: ItemColumns,
  ) {
    items.clear()
  }

  /**
   * False while `group` (the same object for every item of a group) is the open
   * group; otherwise closes the open one and returns true: the caller then
   * opens `group` with its head.
   */
  switches(group: object): boolean {
    if (group === this.group) return false
    this.close()
    return true
  }

  /** Opens a group whose leading columns are `head` (RowBinary values). */
  open(group: object, head: Buffer): void {
    this.group = group
    this.head = head
  }

  /** Counts an item written into the item columns. */
  added(): void {
    this.rows++
  }

  /** The rows written so far (call close() first). */
  view(): Buffer {
    return this.out.view()
  }

  /** Writes the open group's row, if it has items. */
  close(): void {
    if (this.items.items > 0) {
      const head = this.head!
      this.out.raw(head, 0, head.length)
      this.items.flushInto(this.out)
    }
    this.group = undefined
  }
}
