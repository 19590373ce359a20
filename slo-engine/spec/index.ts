export { formatSpecError, type SpecError } from './errors.ts'
export { parseSloDocuments, parseSpecSet, type SpecParseOptions, type ParsedSpecs, type SpecFile } from './parse.ts'
export { loadSloFiles, specFilesFingerprint } from './load.ts'
