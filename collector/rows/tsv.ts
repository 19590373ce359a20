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
 * The rows of one table from one request. Rows are built as one JavaScript
 * string (V8 concatenates without copying) and encoded to UTF-8 once, which is
 * far cheaper than a Buffer write per field.
 */
export class RowBuffer {
  private text_ = ''
  /** The row being written; small, so ending it (dropping its trailing tab) is cheap. */
  private row = ''
  private encoded: Buffer | undefined
  rows = 0

  get length(): number {
    return this.view().length
  }

  /** Appends text that needs no escaping (already escaped, or digits and punctuation). */
  text(s: string): void {
    this.row += s
  }

  /** Appends a TSV field (escaped) followed by a tab. */
  field(s: string): void {
    this.row += tsvField(s) + '\t'
  }

  tab(): void {
    this.row += '\t'
  }

  /** Ends a row: the trailing tab becomes a newline. */
  endRow(): void {
    this.text_ += this.row.slice(0, -1) + '\n'
    this.row = ''
    this.rows++
    this.encoded = undefined
  }

  /** Appends whole rows (each ending in a newline). */
  lines(s: string, count: number): void {
    this.text_ += s
    this.rows += count
    this.encoded = undefined
  }

  /** The rows as UTF-8 bytes. */
  view(): Buffer {
    return (this.encoded ??= Buffer.from(this.text_, 'utf8'))
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
