// Child process of allocator.test.ts: opens the embedded store the way cairn
// does, runs a query that holds a few hundred MiB, then prints the process's
// anonymous RSS before, at the end of the query and 2 s later, as JSON.
import { readFileSync } from 'node:fs'
import { configSchema } from '../../config/index.ts'
import { openStorage } from '../../storage/index.ts'

const anonMiB = () => Number(/^RssAnon:\s+(\d+) kB/m.exec(readFileSync('/proc/self/status', 'utf8'))![1]) / 1024
const storage = await openStorage(configSchema.parse({ storage: { dataDir: process.argv[2]! } }).storage)
const before = anonMiB()
await storage.query('SELECT uniqExact(toString(number)) AS n FROM numbers(5000000)')
const after = anonMiB()
await new Promise((r) => setTimeout(r, 2000))
const settled = anonMiB()
await storage.close()
process.stdout.write(JSON.stringify({ conf: process.env.JE_MALLOC_CONF, before, after, settled }) + '\n')
