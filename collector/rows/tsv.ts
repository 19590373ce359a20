// Rows are written as ClickHouse TabSeparated text, the cheapest of the formats
// the embedded engine's raw insert accepts to produce and among the cheapest to
// parse (bench/ingest measures it). Top-level strings use TSV escaping; strings
// inside arrays and maps are single-quoted with backslash escapes.

const NEEDS_TSV_ESCAPE = /[\\\t\n\r]/
const NEEDS_QUOTE_ESCAPE = /[\\'\t\n\r]/
const TSV_ESCAPES: Record<string, string> = { '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r', "'": "\\'" }
const escapeChar = (c: string) => TSV_ESCAPES[c]!

/** A string as a TSV field. */
export function tsvField(s: string): string {
  return NEEDS_TSV_ESCAPE.test(s) ? s.replace(/[\\\t\n\r]/g, escapeChar) : s
}

/** A string as a quoted element of an array or map. */
export function quoted(s: string): string {
  return NEEDS_QUOTE_ESCAPE.test(s) ? `'${s.replace(/[\\'\t\n\r]/g, escapeChar)}'` : `'${s}'`
}

/**
 * A growable byte buffer that rows are appended to. One per table per request;
 * its bytes become part of an insert payload without being copied again until
 * the batch is concatenated.
 */
export class RowBuffer {
  private buf: Buffer
  length = 0
  rows = 0

  constructor(initialBytes = 16 * 1024) {
    this.buf = Buffer.allocUnsafe(initialBytes)
  }

  private reserve(extra: number): void {
    const need = this.length + extra
    if (need <= this.buf.length) return
    let size = this.buf.length * 2
    while (size < need) size *= 2
    const next = Buffer.allocUnsafe(size)
    this.buf.copy(next, 0, 0, this.length)
    this.buf = next
  }

  /** Appends text that needs no escaping (already escaped, or digits and punctuation). */
  text(s: string): void {
    this.reserve(s.length * 3)
    this.length += this.buf.write(s, this.length, 'utf8')
  }

  /** Appends a TSV field (escaped) followed by a tab. */
  field(s: string): void {
    this.text(tsvField(s))
    this.tab()
  }

  bytes(b: Buffer): void {
    this.reserve(b.length)
    b.copy(this.buf, this.length)
    this.length += b.length
  }

  tab(): void {
    this.reserve(1)
    this.buf[this.length++] = 9
  }

  /** Ends a row: replaces the trailing tab with a newline. */
  endRow(): void {
    this.buf[this.length - 1] = 10
    this.rows++
  }

  /** The bytes written so far (a view, valid until the next write). */
  view(): Buffer {
    return this.buf.subarray(0, this.length)
  }
}

/** Text of a Map(String, String) value: `{'k':'v',…}`. */
export class MapText {
  private parts: string[] = []
  add(key: string, value: string): void {
    this.parts.push(`${quoted(key)}:${quoted(value)}`)
  }
  get size(): number {
    return this.parts.length
  }
  toString(): string {
    return `{${this.parts.join(',')}}`
  }
}

/** `[a,b,…]` from already-rendered elements. */
export function arrayText(elements: readonly string[]): string {
  return `[${elements.join(',')}]`
}
