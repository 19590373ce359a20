// Entry of a parse worker thread. Cairn runs from its TypeScript sources: the
// worker registers tsx as bin/cairn.js does, then loads the task runner.
import { register } from 'tsx/esm/api'

register()
await import('./worker.ts')
