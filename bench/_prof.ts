import { monitorEventLoopDelay } from 'node:perf_hooks'
import { configSchema } from '../config/index.ts'
import { createLogger, createMetricsRegistry } from '../instrumentation/index.ts'
import { createCollector } from '../collector/index.ts'
import { HOSTILE_INPUTS, bodyOf } from './hostile-inputs.ts'
import { sendHostile } from './hostile-send.ts'
import { createIsolation } from '../isolation/index.ts'
const storage = { mode: 'embedded', insertRaw: async () => {} } as never
const isolation = createIsolation(configSchema.parse({}).limits)
const collector = createCollector({ config: configSchema.parse({ collector: { port: 0 } }).collector, host: '127.0.0.1', storage, logger: createLogger('silent'), registry: createMetricsRegistry(), isolation })
const port = await collector.start()
for (const name of (process.env.K ?? 'rw-snappy-bomb-60mib-zeros,otlp-json-gzip-60mib-empty-objects').split(',')) {
  const k = HOSTILE_INPUTS.find((x) => x.name === name)!
  bodyOf(k)
  for (let i = 0; i < 2; i++) {
    const h = monitorEventLoopDelay({ resolution: 5 }); h.enable()
    const a = await sendHostile(k, `http://127.0.0.1:${port}`)
    h.disable()
    console.log(name, a.status, 'max delay', (h.max / 1e6).toFixed(0), 'ms')
  }
}
await collector.stop(); await isolation.pool.close()
