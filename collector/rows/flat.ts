// Rows of a table written one after another as RowBinary, every column of
// every row (metric points, remote_write samples): the output of one request for
// a table whose rows are not grouped.

import { BinaryWriter } from './binary.ts'

export class FlatRows {
  readonly out: BinaryWriter
  rows = 0

  constructor(capacity: number) {
    this.out = new BinaryWriter(capacity)
  }

  view(): Buffer {
    return this.out.view()
  }
}

/** The flat rows of `table` in a request's tables, created on first use. */
export function flatRows(tables: Map<string, unknown>, table: string, capacity = 64 * 1024): FlatRows {
  let rows = tables.get(table) as FlatRows | undefined
  if (!rows) tables.set(table, (rows = new FlatRows(capacity)))
  return rows
}
