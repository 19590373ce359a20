import { createHash } from 'node:crypto'
import { normalize } from 'node:path'
import type { Logger } from '../instrumentation/index.ts'
import type { Storage } from '../storage/index.ts'
import type { Slo } from './model.ts'
import { loadSloFiles, parseSloDocuments, specFilesFingerprint, type ParsedSpecs, type SpecError, type SpecParseOptions } from './spec/index.ts'
import { storageRegexChecker, withRegexCheck, type RegexChecker } from './regex-check.ts'
import { ENGINE_TABLES } from './tables.ts'

/**
 * Every SLO cairn knows, whichever its origin, as rows of cairn_slo_definitions:
 * - source "file": mirrored from CAIRN_SLO_DIR by syncFiles() (the engine calls
 *   it every tick), so processes without the directory (`cairn api`) read the
 *   same catalog from ClickHouse;
 * - source "api": created, replaced and deleted through the API.
 * An id defined in a file wins: the API may not replace or delete it, and a
 * file that starts defining an id the API created takes it over.
 */
export interface SloCatalog {
  list(): Promise<Slo[]>
  get(id: string): Promise<Slo | undefined>
  /** Mirrors the SLO directory into the catalog; returns the spec errors found (their files' SLOs are left as they were). */
  syncFiles(): Promise<{ errors: SpecError[] }>
  /** Parses and checks a spec text as PUT would (RE2 included), storing nothing. */
  /** `parsed`: the text already parsed (the API parses large bodies in a worker thread). */
  validate(yamlText: string, file: string, parsed?: ParsedSpecs): Promise<ParsedSpecs>
  /** Stores an API SLO; `created` says whether the id was new (or deleted) rather than replaced. */
  /** `parsed`: the text already parsed (the API parses large bodies in a worker thread). */
  putFromApi(id: string, yamlText: string, parsed?: ParsedSpecs): Promise<{ slo?: Slo; created?: boolean; errors: SpecError[]; conflict?: 'file-defined' | 'id-mismatch' }>
  deleteFromApi(id: string): Promise<'deleted' | 'not-found' | 'file-defined'>
}

export interface SloCatalogDeps {
  storage: Storage
  /** The SLO directory; undefined in processes that only read the catalog. */
  sloDir: string | undefined
  logger: Logger
  parseOptions?: SpecParseOptions
  /** How regexes are checked; by default ClickHouse's RE2 through `storage`. */
  regexChecker?: RegexChecker
}

interface CatalogRow {
  slo_id: string
  source: 'file' | 'api'
  definition: string
  deleted: number
}

/** The file name API-managed SLOs carry in their source and their errors. */
export const API_SOURCE_FILE = 'api'

const TABLE = ENGINE_TABLES.definitions
const FULL_SYNC_MS = 10 * 60_000

/** Hash of what an SLO means: its model without the position it was declared at. */
export function definitionHash(slo: Slo): string {
  const { source: _source, ...meaning } = slo
  return createHash('sha256').update(JSON.stringify(meaning)).digest('hex')
}

export function createSloCatalog(deps: SloCatalogDeps): SloCatalog {
  const { storage, logger } = deps
  const regexChecker = deps.regexChecker ?? storageRegexChecker(storage)
  /** One spec text, parsed and its regexes checked by RE2. */
  const parseChecked = async (text: string, file: string, parsed?: ParsedSpecs) => withRegexCheck(parsed ?? parseSloDocuments(text, file, deps.parseOptions), regexChecker, (f) => (f === file ? text : undefined))
  let lastVersionMs = 0
  // Unchanged files are not parsed again; a full sync still runs every FULL_SYNC_MS in case the table was changed behind our back.
  let lastSync: { fingerprint: string; errors: SpecError[]; atMs: number } | undefined
  let listed: { version: string; slos: Slo[] } | undefined
  // Rows of one SLO are ordered by updated_at: never write two with the same millisecond.
  const nextVersionMs = () => (lastVersionMs = Math.max(Date.now(), lastVersionMs + 1))

  async function current(ids?: string[]): Promise<Map<string, CatalogRow>> {
    const where = ids ? 'WHERE slo_id IN {ids:Array(String)}' : ''
    const rows = await storage.query<CatalogRow>(
      `SELECT slo_id, argMax(source, updated_at) AS source, argMax(definition, updated_at) AS definition, argMax(deleted, updated_at) AS deleted
       FROM ${TABLE} ${where} GROUP BY slo_id`,
      ids ? { ids } : undefined,
    )
    return new Map(rows.map((r) => [r.slo_id, { ...r, deleted: Number(r.deleted) }]))
  }

  async function write(rows: { slo_id: string; slo?: Slo; source: 'file' | 'api'; spec_text?: string; deleted: boolean }[]): Promise<void> {
    await storage.insertRows(
      TABLE,
      rows.map((r) => ({
        slo_id: r.slo_id,
        source: r.source,
        format: r.slo?.source.format ?? '',
        definition: r.slo ? JSON.stringify(r.slo) : '',
        definition_hash: r.slo ? definitionHash(r.slo) : '',
        spec_text: r.spec_text ?? '',
        updated_at: nextVersionMs(),
        deleted: r.deleted ? 1 : 0,
      })),
    )
  }

  const live = (row: CatalogRow | undefined): Slo | undefined => (row && !row.deleted ? (JSON.parse(row.definition) as Slo) : undefined)

  return {
    async list() {
      // The parsed list is reused while the table has not changed (same row count and latest write).
      const [v] = await storage.query<{ n: string; latest: string }>(`SELECT count() AS n, toString(max(updated_at)) AS latest FROM ${TABLE}`)
      const version = `${v?.n}\u0000${v?.latest}`
      if (listed?.version === version) return [...listed.slos]
      const rows = await current()
      const slos = [...rows.values()].flatMap((r) => live(r) ?? []).sort((a, b) => a.id.localeCompare(b.id))
      listed = { version, slos }
      return [...slos]
    },

    async get(id) {
      return live((await current([id])).get(id))
    },

    async syncFiles() {
      if (!deps.sloDir) return { errors: [] }
      const fingerprint = await specFilesFingerprint([deps.sloDir])
      if (lastSync && lastSync.fingerprint === fingerprint && Date.now() - lastSync.atMs < FULL_SYNC_MS) return { errors: lastSync.errors }
      const { slos, errors } = await loadSloFiles([deps.sloDir], deps.parseOptions)
      // A file that does not parse keeps its SLOs as they were: a typo must not delete an SLO.
      const broken = errors.map((e) => normalize(e.file))
      const keep = (file: string) => broken.some((b) => normalize(file) === b || normalize(file).startsWith(`${b}/`))
      const rows = await current()
      const changes: Parameters<typeof write>[0] = []
      const seen = new Set<string>()
      for (const slo of slos) {
        seen.add(slo.id)
        const row = rows.get(slo.id)
        if (row && !row.deleted && row.source === 'file' && row.definition === JSON.stringify(slo)) continue
        if (row && !row.deleted && row.source === 'api') logger.warn({ slo: slo.id, file: slo.source.file }, 'a file now defines an SLO the API created: the file wins')
        changes.push({ slo_id: slo.id, slo, source: 'file', deleted: false })
      }
      for (const row of rows.values()) {
        if (row.deleted || row.source !== 'file' || seen.has(row.slo_id)) continue
        const slo = JSON.parse(row.definition) as Slo
        if (!keep(slo.source.file)) changes.push({ slo_id: row.slo_id, source: 'file', deleted: true })
      }
      if (changes.length > 0) {
        await write(changes)
        logger.info({ changed: changes.filter((c) => !c.deleted).map((c) => c.slo_id), deleted: changes.filter((c) => c.deleted).map((c) => c.slo_id) }, 'SLO files synced')
      }
      lastSync = { fingerprint, errors, atMs: Date.now() }
      return { errors }
    },

    validate: parseChecked,

    async putFromApi(id, yamlText, parsed) {
      const { slos, errors } = await parseChecked(yamlText, API_SOURCE_FILE, parsed)
      if (errors.length > 0) return { errors }
      if (slos.length !== 1) {
        return { errors: [{ file: API_SOURCE_FILE, line: 1, column: 1, message: `expected exactly one SLO in the document (got ${slos.length})` }] }
      }
      const slo = slos[0]!
      if (slo.id !== id) {
        const { line, column } = slo.source
        return { slo, conflict: 'id-mismatch', errors: [{ file: API_SOURCE_FILE, line, column, message: `the document defines SLO "${slo.id}", not "${id}" (the id is <service>-<name>)` }] }
      }
      const row = (await current([id])).get(id)
      if (row && !row.deleted && row.source === 'file') return { conflict: 'file-defined', errors: [] }
      await write([{ slo_id: id, slo, source: 'api', spec_text: yamlText, deleted: false }])
      return { slo, created: !row || Boolean(row.deleted), errors: [] }
    },

    async deleteFromApi(id) {
      const row = (await current([id])).get(id)
      if (!row || row.deleted) return 'not-found'
      if (row.source === 'file') return 'file-defined'
      await write([{ slo_id: id, source: 'api', deleted: true }])
      return 'deleted'
    },
  }
}
