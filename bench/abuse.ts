// npm run bench:abuse — every input of the hostile table (bench/hostile-inputs.ts)
// sent to a real `cairn serve` (embedded store), one at a time, with a stall
// probe in a third process asking /healthz back to back. For each kind: its
// answer, and the longest /healthz round trip while it was processed, beside
// the same figure for a normal 1 MiB OTLP protobuf request sent just before it
// (the same-run baseline). Then four copies of the worst case at once, beside
// four normal requests at once: stall and the server's peak RSS.
// Env: RUNS (default 3: medians of each kind's stalls), KINDS (comma-separated names; default all).

import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { startCairn } from '../test/support/cairn-process.ts'
import { tempDir } from '../test/support/temp.ts'
import { HOSTILE_INPUTS, HOSTILE_SERVER_CONFIG, PENDING_OTHER_FIXES, WORST_CASE, bodyOf, normalTraces, type HostileInput } from './hostile-inputs.ts'
import { sendHostile, type Answer } from './hostile-send.ts'
import { StallProbe } from './stall-probe.ts'

const runs = Number(process.env.RUNS ?? 3)
const only = process.env.KINDS?.split(',')
const kinds = HOSTILE_INPUTS.filter((k) => !only || only.includes(k.name))

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b)
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2
}
const ms = (n: number) => `${Math.round(n)} ms`
const mib = (n: number) => `${Math.round(n / 2 ** 20)} MiB`

const normal: HostileInput = { name: 'normal-1mib', what: '', target: 'collector', method: 'POST', path: '/v1/traces', headers: { 'content-type': 'application/x-protobuf' }, body: () => normalTraces(), expect: [200] }

const dir = tempDir('cairn-bench-abuse-')
writeFileSync(join(dir.path, 'cairn.yaml'), HOSTILE_SERVER_CONFIG)
mkdirSync(join(dir.path, 'slos'))
const server = await startCairn({ CAIRN_CONFIG: join(dir.path, 'cairn.yaml'), CAIRN_DATA_DIR: join(dir.path, 'data'), CAIRN_SLO_DIR: join(dir.path, 'slos'), CAIRN_LOG_LEVEL: 'info' })
const probe = await StallProbe.start(server.apiUrl, server.child.pid!)
const urlOf = (k: HostileInput) => (k.target === 'api' ? server.apiUrl : server.otlpUrl)

try {
  await sendHostile(normal, server.otlpUrl) // warm: workers, JIT, first insert
  console.log(`bench:abuse — ${kinds.length} hostile kinds, ${runs} runs each, against cairn serve (embedded); medians\n`)
  console.log('kind | answer (expected) | /healthz stall, hostile | /healthz stall, normal 1 MiB (same run) | answered in')
  console.log('---- | ----------------- | ----------------------- | -------------------------------------- | -----------')
  let worst = { name: '', stall: 0 }
  for (const kind of kinds) {
    const hostile: number[] = []
    const baseline: number[] = []
    const answers: Answer[] = []
    bodyOf(kind) // built before the probe's window: building a 1 GiB gzip bomb is the sender's work, not the server's
    for (let i = 0; i < runs; i++) {
      baseline.push((await probe.around(() => sendHostile(normal, server.otlpUrl))).window.maxMs)
      const { result, window } = await probe.around(() => sendHostile(kind, urlOf(kind)).catch((err: Error) => ({ status: 0, body: err.message, ms: 0 })))
      hostile.push(window.maxMs)
      answers.push(result)
    }
    const statuses = [...new Set(answers.map((a) => a.status))].join('/')
    const ok = answers.every((a) => kind.expect.includes(a.status) && (!kind.check || kind.check(a.body)))
    const pending = PENDING_OTHER_FIXES.has(kind.name) ? ', pending' : ''
    const stall = median(hostile)
    if (stall > worst.stall) worst = { name: kind.name, stall }
    console.log(`${kind.name} | ${statuses}${ok ? '' : ' ✗'} (${kind.expect.join('/')}${pending}) | ${ms(stall)} (max ${ms(Math.max(...hostile))}) | ${ms(median(baseline))} | ${ms(median(answers.map((a) => a.ms)))}`)
  }
  console.log(`\nworst median stall: ${ms(worst.stall)} (${worst.name}); target ≤ 250 ms`)

  const worstKind = HOSTILE_INPUTS.find((k) => k.name === WORST_CASE)!
  const four = async (k: HostileInput) => probe.around(() => Promise.all(Array.from({ length: 4 }, () => sendHostile(k, urlOf(k)).catch((err: Error) => ({ status: 0, body: err.message, ms: 0 })))))
  const base4 = await four(normal)
  const bad4 = await four(worstKind)
  console.log(`\nfour at once | answers | /healthz stall | server peak RSS`)
  console.log(`------------ | ------- | -------------- | ---------------`)
  console.log(`normal 1 MiB × 4 | ${base4.result.map((a) => a.status).join(', ')} | ${ms(base4.window.maxMs)} | ${mib(base4.window.maxRssBytes)}`)
  console.log(`${WORST_CASE} × 4 | ${bad4.result.map((a) => a.status).join(', ')} | ${ms(bad4.window.maxMs)} | ${mib(bad4.window.maxRssBytes)}`)
  console.log(`target: peak RSS < 1024 MiB`)
} finally {
  await probe.stop()
  await server.stop()
  dir.remove()
}
