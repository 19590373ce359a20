import type { TableDef } from '../ddl.ts'

// Column declarations read back from the table definitions, so that a writer
// (the collector's RowBinary rows, its ingest tables) derives its columns from
// the one place they are declared instead of keeping a second list.

export interface Column {
  name: string
  /** The type as declared, e.g. `LowCardinality(String)`, `Nested (A T, B U)`. */
  type: string
  /** What follows the type: CODEC, DEFAULT, ALIAS, MATERIALIZED… */
  rest: string
}

const AFTER_TYPE = /^(CODEC|DEFAULT|ALIAS|MATERIALIZED|EPHEMERAL|COMMENT|TTL)\b/

/** Splits "Name Type CODEC(…)" into its name, type and the rest. */
export function parseColumn(declaration: string): Column {
  const space = declaration.indexOf(' ')
  if (space <= 0) throw new Error(`column declaration without a type: ${declaration}`)
  let depth = 0
  let i = space + 1
  for (; i < declaration.length; i++) {
    const c = declaration[i]
    if (c === '(') depth++
    else if (c === ')') depth--
    else if (c === ' ' && depth === 0 && AFTER_TYPE.test(declaration.slice(i + 1))) break
  }
  return { name: declaration.slice(0, space), type: declaration.slice(space + 1, i).trim(), rest: declaration.slice(i).trim() }
}

/** The top-level comma-separated parts of `a T, b Map(K, V)`. */
function splitTopLevel(list: string): string[] {
  const parts: string[] = []
  let depth = 0
  let start = 0
  for (let i = 0; i < list.length; i++) {
    if (list[i] === '(') depth++
    else if (list[i] === ')') depth--
    else if (list[i] === ',' && depth === 0) {
      parts.push(list.slice(start, i).trim())
      start = i + 1
    }
  }
  parts.push(list.slice(start).trim())
  return parts
}

/** ClickHouse's own spelling of a type, as system.columns shows it. */
const canonicalType = (type: string) => type.replace(/\bBoolean\b/g, 'Bool')

/**
 * The columns an INSERT writes, in table order, as "Name Type": the stored
 * columns (not ALIAS, MATERIALIZED, EPHEMERAL or left to their DEFAULT),
 * codecs dropped, a Nested column as its `Name.field Array(T)` subcolumns.
 */
export function insertColumns(table: TableDef): string[] {
  return table.columns.map(parseColumn).filter((c) => !/^(DEFAULT|ALIAS|MATERIALIZED|EPHEMERAL)\b/.test(c.rest)).flatMap((c) => {
    const nested = /^Nested\s*\((.*)\)$/.exec(c.type)
    if (!nested) return [`${c.name} ${canonicalType(c.type)}`]
    return splitTopLevel(nested[1]!).map(parseColumn).map((f) => `${c.name}.${f.name} Array(${canonicalType(f.type)})`)
  })
}

/** The type without LowCardinality, which changes storage but not the values (nor their RowBinary form). */
export function plainType(type: string): string {
  let out = type
  for (let prev = ''; prev !== out; ) {
    prev = out
    out = out.replace(/LowCardinality\(([^()]*(?:\([^()]*\))?[^()]*)\)/, '$1')
  }
  return out
}
