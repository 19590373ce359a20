// Limits on the YAML of SLO specs, checked before (and while) the `yaml`
// package builds a document, so that no spec — a file or an API body — can
// hold the process: the parser's own cost grows with nesting (200,000 `[`
// took 2 s) and its uniqueKeys check compares every key with every other one
// (20,000 keys: 4.4 s). The size and node checks run on the lexer's tokens,
// one linear pass; duplicate keys are found with one Set per mapping.

import { Lexer, isPair, isScalar, visit, type Document, type LineCounter } from 'yaml'

/** What a spec may hold. A real one (100 SLOs in a file) is far below each. */
export const SPEC_LIMITS = {
  /** Bytes of one spec file or API body (UTF-8). */
  maxBytes: 256 * 1024,
  /** YAML nodes (scalars, mappings, sequences, aliases) in one file or body. */
  maxNodes: 10_000,
  /** Nesting of mappings and sequences, block or flow. */
  maxDepth: 32,
  /** Aliases one document may expand (the `yaml` package's maxAliasCount). */
  maxAliasCount: 100,
} as const

/** A spec over a size limit: the API answers 413, a file load reports it at its position. */
export interface SpecLimitExceeded {
  /** Too large (bytes, nodes: the API answers 413), or nested too deep (an invalid spec: 400). */
  kind: 'size' | 'depth'
  /** 0-based offset into the text where the limit was crossed. */
  offset: number
  message: string
}

// Lexer tokens that mark structure without consuming source text.
const CONTROL = new Set(['\u0002', '\u0018', '\u001f'])
const FLOW_START = new Set(['[', '{'])
const FLOW_END = new Set([']', '}'])

/** Whether a lexer token starts a node: a plain, quoted or block scalar, a flow collection, a sequence item, an explicit key or an alias. */
function startsNode(token: string): boolean {
  const c = token[0]
  return token === '\u001f' || c === '"' || c === "'" || c === '|' || c === '>' || c === '*' || token === '-' || token === '?' || FLOW_START.has(token)
}

/**
 * Block nesting, from the columns where nodes start: a node nests inside the
 * nodes before it that start at a smaller column (`- - - x` is four deep).
 * Amortized linear: every column is pushed and popped once.
 */
class BlockDepth {
  private readonly columns: number[] = []

  at(column: number): number {
    const c = this.columns
    while (c.length > 0 && c[c.length - 1]! >= column) c.pop()
    c.push(column)
    return c.length
  }
}

/**
 * The first size limit `text` crosses, found in one pass over the lexer's
 * tokens (the lexer is linear; the parser is not, and a few thousand
 * `- - - …` on one line exhaust its memory): bytes, nodes, and nesting.
 */
export function specSizeProblem(text: string): SpecLimitExceeded | undefined {
  const bytes = Buffer.byteLength(text, 'utf8')
  if (bytes > SPEC_LIMITS.maxBytes) {
    return { kind: 'size', offset: 0, message: `the spec is ${bytes} bytes, over the limit of ${SPEC_LIMITS.maxBytes}: split it into several files or bodies` }
  }
  let offset = 0
  let lineStart = 0
  let nodes = 0
  let flow = 0
  // Inside flow collections, depth is the block depth where the outermost one starts plus the flow nesting.
  let flowBase = 0
  const block = new BlockDepth()
  for (const token of new Lexer().lex(text)) {
    if (startsNode(token)) {
      if (++nodes > SPEC_LIMITS.maxNodes) return { kind: 'size', offset, message: `the spec has more than ${SPEC_LIMITS.maxNodes} YAML nodes: split it into several files or bodies` }
      const depth = flow > 0 ? flowBase + flow : block.at(offset - lineStart)
      if (flow === 0 && FLOW_START.has(token)) flowBase = depth
      if (depth > SPEC_LIMITS.maxDepth) return { kind: 'depth', offset, message: `mappings and sequences nest deeper than ${SPEC_LIMITS.maxDepth} levels` }
    }
    if (CONTROL.has(token)) continue
    if (FLOW_START.has(token)) flow++
    else if (FLOW_END.has(token)) flow = Math.max(0, flow - 1)
    offset += token.length
    if (token.endsWith('\n')) lineStart = offset
  }
  return undefined
}

/** A key given twice in one mapping, found with one Set per mapping (linear in the keys). */
export interface NodeProblem {
  offset: number
  message: string
}

export function duplicateKeyProblems(doc: Document): NodeProblem[] {
  const problems: NodeProblem[] = []
  visit(doc, {
    Map(_key, node) {
      const seen = new Set<unknown>()
      for (const pair of node.items) {
        if (!isPair(pair) || !isScalar(pair.key)) continue
        const key = pair.key.value
        if (key === '<<') continue // merge keys may repeat
        if (seen.has(key)) problems.push({ offset: pair.key.range?.[0] ?? 0, message: `invalid YAML: map keys must be unique ("${String(key)}" is given twice)` })
        seen.add(key)
      }
    },
  })
  return problems
}

/** The `file:line:col` position of an offset. */
export function positionOf(lines: LineCounter, offset: number): { line: number; column: number } {
  const pos = lines.linePos(offset)
  return { line: pos.line, column: pos.col }
}

/** The 1-based line and column of an offset, without a parse. */
export function textPosition(text: string, offset: number): { line: number; column: number } {
  let line = 1
  let start = 0
  for (let i = text.indexOf('\n'); i >= 0 && i < offset; i = text.indexOf('\n', i + 1)) {
    line++
    start = i + 1
  }
  return { line, column: offset - start + 1 }
}
