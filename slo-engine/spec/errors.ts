import { isMap, isPair, isScalar, isSeq, type Document, type LineCounter, type Node } from 'yaml'

/** One problem in one spec, at a 1-based line and column of its file. */
export interface SpecError {
  file: string
  line: number
  column: number
  message: string
}

/** `file:line:col: message`, the form editors and CI annotations understand. */
export function formatSpecError(e: SpecError): string {
  return `${e.file}:${e.line}:${e.column}: ${e.message}`
}

export type SpecPath = readonly (string | number)[]

/**
 * One YAML document of one file, able to turn a path inside it (as zod reports
 * them) into a line and column. A path that does not exist (a missing key)
 * resolves to the nearest key that does.
 */
export class DocumentPositions {
  constructor(
    readonly file: string,
    private readonly doc: Document,
    private readonly lines: LineCounter,
    /** Path of this document's root inside `doc` (an item of a Sloth `slos:` list, say). */
    private readonly base: SpecPath = [],
  ) {}

  /** The same document, with paths relative to `path`. */
  at(path: SpecPath): DocumentPositions {
    return new DocumentPositions(this.file, this.doc, this.lines, [...this.base, ...path])
  }

  /** Where the value at `path` is written (or, when it is missing, the nearest key that is). */
  position(path: SpecPath): { line: number; column: number } {
    return this.linePos(this.offsetOf([...this.base, ...path]))
  }

  /** An error at the key of `path` rather than its value (an unknown key, say). */
  keyError(path: SpecPath, message: string): SpecError {
    const key = this.keyNode([...this.base, ...path])
    const pos = key?.range ? this.linePos(key.range[0]) : this.position(path)
    return { file: this.file, ...pos, message }
  }

  private linePos(offset: number): { line: number; column: number } {
    const pos = this.lines.linePos(offset)
    return { line: pos.line, column: pos.col }
  }

  error(path: SpecPath, message: string): SpecError {
    return { file: this.file, ...this.position(path), message }
  }

  private offsetOf(path: SpecPath): number {
    for (let depth = path.length; depth >= 0; depth--) {
      const prefix = path.slice(0, depth)
      // A value that exists: point at the value itself.
      if (depth === path.length) {
        const node = this.doc.getIn(prefix, true) as Node | undefined
        if (node && typeof node === 'object' && node.range) return node.range[0]
      }
      // Otherwise point at the key of the deepest ancestor that exists.
      const keyNode = this.keyNode(prefix)
      if (keyNode?.range) return keyNode.range[0]
    }
    return (this.doc.contents as Node | null)?.range?.[0] ?? 0
  }

  private keyNode(path: SpecPath): Node | undefined {
    if (path.length === 0) return this.doc.contents as Node | undefined
    const parent = this.doc.getIn(path.slice(0, -1), true)
    const last = path[path.length - 1]
    if (isMap(parent)) {
      const pair = parent.items.find((p) => isPair(p) && isScalar(p.key) && String(p.key.value) === String(last))
      return (pair?.key as Node | undefined) ?? undefined
    }
    if (isSeq(parent) && typeof last === 'number') return parent.items[last] as Node | undefined
    return undefined
  }
}
