import { LineCounter, parseAllDocuments, type Document } from 'yaml'
import type { z } from 'zod'
import type { Slo, SpecFormat } from '../model.ts'
import { cairnDocument, cairnToDraft } from './cairn.ts'
import { draftProblems, type SloDraft } from './draft.ts'
import { DocumentPositions, type SpecError, type SpecPath } from './errors.ts'
import { dotted, issuesToErrors } from './issues.ts'
import {
  isProblem,
  opensloAlphaDocument,
  opensloAlphaToDrafts,
  opensloDataSourceDocument,
  opensloSliDocument,
  opensloSloDocument,
  opensloToDrafts,
  type OpensloRegistry,
  type OpensloSloDocument,
} from './openslo.ts'
import { slothDocument, slothK8sDocument, slothToDrafts } from './sloth.ts'
import { SPEC_LIMITS, duplicateKeyProblems, positionOf, specSizeProblem, textPosition } from './yaml-limits.ts'

export interface SpecParseOptions {
  /**
   * Window of SLOs whose format has none (Sloth prometheus/v1 and its
   * Kubernetes resource, OpenSLO without timeWindow), in seconds. Default 30d,
   * as Sloth's --default-slo-period.
   */
  defaultSloPeriodSeconds?: number
  /**
   * Checks each notification URL a spec names (the alerts component's
   * allow-list): returns why the URL is refused, or undefined. Default: all accepted.
   */
  checkNotifyUrl?: (url: string) => string | undefined
}

export interface SpecFile {
  file: string
  text: string
}

export interface ParsedSpecs {
  slos: Slo[]
  errors: SpecError[]
}

const DEFAULT_PERIOD_SECONDS = 30 * 86400

/** Document kinds that are valid in an SLO directory but are not SLOs. */
const IGNORED_KINDS: Record<string, string[]> = {
  'sloth.slok.dev/v1': ['AlertWindows'],
  'openslo/v1': ['Service', 'AlertPolicy', 'AlertCondition', 'AlertNotificationTarget'],
  'openslo/v1alpha': ['Service'],
}

interface Located {
  draft: SloDraft
  format: SpecFormat
  at: DocumentPositions
  /** Path of the SLO inside its document, and of its window and budgeting keys. */
  path: SpecPath
  fields: { window: SpecPath; budgeting: SpecPath }
}

/**
 * Parses a set of spec files together (OpenSLO SLOs may reference SLI and
 * DataSource documents of another file of the set). Every SLO that is valid is
 * returned, every problem is an error; an id defined twice is an error at the
 * second definition.
 */
export function parseSpecSet(files: readonly SpecFile[], options: SpecParseOptions = {}): ParsedSpecs {
  const period = options.defaultSloPeriodSeconds ?? DEFAULT_PERIOD_SECONDS
  const errors: SpecError[] = []
  const located: Located[] = []
  const registry: OpensloRegistry = { slis: new Map(), dataSourceTypes: new Map() }
  const pendingOpenslo: { doc: OpensloSloDocument; at: DocumentPositions }[] = []

  for (const { file, text } of files) {
    for (const { doc, at } of yamlDocuments(file, text, errors)) {
      const raw = documentData(doc, at, errors)
      if (raw === null || raw === undefined) continue
      const parse = <S extends z.ZodType>(schema: S): z.infer<S> | undefined => {
        const result = schema.safeParse(raw)
        if (result.success) return result.data
        errors.push(...issuesToErrors(result.error.issues, raw, at))
        return undefined
      }
      if (typeof raw !== 'object' || Array.isArray(raw)) {
        errors.push(at.error([], 'expected a mapping with apiVersion and kind (cairn/v1, openslo/v1) or version: prometheus/v1 (Sloth)'))
        continue
      }
      const { apiVersion, kind, version } = raw as Record<string, unknown>
      if (version !== undefined && apiVersion === undefined) {
        if (version !== 'prometheus/v1') {
          errors.push(at.error(['version'], `version: unsupported Sloth spec version ${JSON.stringify(version)}; expected prometheus/v1`))
          continue
        }
        const level = parse(slothDocument)
        if (level) located.push(...sloth(level, at, [], period, errors))
        continue
      }
      if (typeof kind === 'string' && IGNORED_KINDS[String(apiVersion)]?.includes(kind)) continue
      switch (apiVersion) {
        case 'cairn/v1': {
          const d = parse(cairnDocument)
          if (d && notifyUrlsAllowed(d.spec.alerting?.notify, at, options.checkNotifyUrl, errors)) located.push({ draft: cairnToDraft(d), format: 'cairn', at, path: [], fields: { window: ['spec', 'window'], budgeting: ['spec', 'budgeting'] } })
          break
        }
        case 'sloth.slok.dev/v1': {
          const d = parse(slothK8sDocument)
          if (d) located.push(...sloth(d.spec, at, ['spec'], period, errors))
          break
        }
        case 'openslo/v1': {
          if (kind === 'SLI') {
            const d = parse(opensloSliDocument)
            if (d) registry.slis.set(d.metadata.name, d.spec)
          } else if (kind === 'DataSource') {
            const d = parse(opensloDataSourceDocument)
            if (d) registry.dataSourceTypes.set(d.metadata.name, d.spec.type)
          } else {
            const d = parse(opensloSloDocument)
            if (d) pendingOpenslo.push({ doc: d, at })
          }
          break
        }
        case 'openslo/v1alpha': {
          const d = parse(opensloAlphaDocument)
          if (d) located.push(...openslo(opensloAlphaToDrafts(d, period), at, errors))
          break
        }
        default:
          errors.push(
            at.error(
              apiVersion === undefined ? [] : ['apiVersion'],
              apiVersion === undefined
                ? 'expected apiVersion (cairn/v1, openslo/v1, openslo/v1alpha, sloth.slok.dev/v1) or version: prometheus/v1 (Sloth)'
                : `apiVersion: unsupported ${JSON.stringify(apiVersion)}; expected cairn/v1, openslo/v1, openslo/v1alpha or sloth.slok.dev/v1`,
            ),
          )
      }
    }
  }
  for (const { doc, at } of pendingOpenslo) located.push(...openslo(opensloToDrafts(doc, registry, period), at, errors))
  return { slos: finish(located, errors), errors }
}

/** Refuses (with an error at its `url`) every notification target whose URL the allow-list does not admit. */
function notifyUrlsAllowed(
  notify: readonly { url?: string }[] | undefined,
  at: DocumentPositions,
  check: SpecParseOptions['checkNotifyUrl'],
  errors: SpecError[],
): boolean {
  let allowed = true
  notify?.forEach((target, i) => {
    const refused = target.url === undefined || !check ? undefined : check(target.url)
    if (refused === undefined) return
    const path = ['spec', 'alerting', 'notify', i, 'url']
    errors.push(at.error(path, `${dotted(path)}: ${refused}`))
    allowed = false
  })
  return allowed
}

/**
 * The YAML documents of a file, or errors at their positions: a file over the
 * size limits (yaml-limits.ts) is not parsed at all; duplicate keys are found
 * by a linear check, not the `yaml` package's quadratic uniqueKeys.
 */
function yamlDocuments(file: string, text: string, errors: SpecError[]): { doc: Document; at: DocumentPositions }[] {
  const lines = new LineCounter()
  const tooLarge = specSizeProblem(text)
  if (tooLarge) {
    errors.push({ file, ...textPosition(text, tooLarge.offset), message: tooLarge.message })
    return []
  }
  const docs = parseAllDocuments(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: false })
  if (!Array.isArray(docs)) return [] // an empty stream
  const out: { doc: Document; at: DocumentPositions }[] = []
  for (const doc of docs) {
    const problems = [...doc.errors.map((e) => ({ offset: e.pos[0], message: `invalid YAML: ${e.message.split('\n')[0]}` })), ...duplicateKeyProblems(doc)]
    if (problems.length > 0) {
      for (const p of problems) errors.push({ file, ...positionOf(lines, p.offset), message: p.message })
      continue
    }
    out.push({ doc, at: new DocumentPositions(file, doc, lines) })
  }
  return out
}

/** The document as plain data; aliases that expand too much (a "billion laughs") are an error at the document. */
function documentData(doc: Document, at: DocumentPositions, errors: SpecError[]): unknown {
  try {
    return doc.toJS({ maxAliasCount: SPEC_LIMITS.maxAliasCount }) as unknown
  } catch (err) {
    errors.push(at.error([], `invalid YAML: ${(err as Error).message} (at most ${SPEC_LIMITS.maxAliasCount} alias expansions per document)`))
    return undefined
  }
}

function sloth(
  level: Parameters<typeof slothToDrafts>[0],
  at: DocumentPositions,
  prefix: SpecPath,
  period: number,
  errors: SpecError[],
): Located[] {
  const out: Located[] = []
  slothToDrafts(level, period).forEach((result, index) => {
    const path = [...prefix, 'slos', index]
    if ('draft' in result) out.push({ draft: result.draft, format: 'sloth', at, path, fields: { window: path, budgeting: path } })
    else errors.push(at.error([...path, ...result.path], `${[...prefix, 'slos'].join('.')}[${index}].${result.message}`))
  })
  return out
}

function openslo(results: ReturnType<typeof opensloToDrafts>, at: DocumentPositions, errors: SpecError[]): Located[] {
  const out: Located[] = []
  for (const r of results) {
    if (isProblem(r)) errors.push(at.error(r.path, r.message))
    else out.push({ draft: r.draft, format: 'openslo', at, path: r.path, fields: { window: ['spec', 'timeWindow'], budgeting: ['spec', 'budgetingMethod'] } })
  }
  return out
}

/** Format-independent checks, duplicate ids, and the source of each SLO. */
function finish(located: Located[], errors: SpecError[]): Slo[] {
  const byId = new Map<string, Slo>()
  for (const l of located) {
    const problems = draftProblems(l.draft)
    for (const p of problems) errors.push(l.at.error(l.fields[p.field], `${dotted(l.fields[p.field])}: ${p.message}`))
    if (problems.length > 0) continue
    const { line, column } = l.at.position(l.path)
    const slo: Slo = { ...l.draft, source: { format: l.format, file: l.at.file, line, column } }
    const first = byId.get(slo.id)
    if (first) {
      errors.push(l.at.error(l.path, `duplicate SLO id "${slo.id}" (first defined at ${first.source.file}:${first.source.line}:${first.source.column})`))
      continue
    }
    byId.set(slo.id, slo)
  }
  return [...byId.values()]
}

/** Parses one file's text (several YAML documents allowed). */
export function parseSloDocuments(text: string, file: string, options?: SpecParseOptions): ParsedSpecs {
  return parseSpecSet([{ file, text }], options)
}
