// The sustained-ingest part of `npm run bench:engine`: ticks of span SLOs
// while spans keep arriving, at each rate of BENCH_SUSTAINED (spans per
// second). Time is simulated minute by minute: a minute's spans are inserted
// in 10 batches (as a collector writes them: each batch a new part), 1 % of
// them 5–30 minutes late, then the engine ticks at the end of that minute. A
// tick reads only the rows stored since the previous one (the ingest
// watermark). Baseline, in the same run on the same rows after each tick: the
// read every tick did before, the rollup statement over the trailing 10
// minutes of raw spans (the reading alone, without the writes a tick adds).
import { Writable } from 'node:stream'
import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import pino from 'pino'
import { Registry } from 'prom-client'
import { configSchema } from '../config/index.ts'
import type { Storage } from '../storage/index.ts'
import { createEngine, createSloCatalog, type Slo } from '../slo-engine/index.ts'
import { countRange } from '../slo-engine/rollup/compute.ts'
import { rangeSelection } from '../slo-engine/sli/queries.ts'

const SERVICES = 200
const LOOKBACK_SECONDS = 600
const BATCHES_PER_MINUTE = 10

export interface SustainedOptions {
  root: string
  storage: Storage
  rates: number[]
  minutes: number
  slos: number
  /** The first simulated minute (Unix seconds). */
  startSeconds: number
  writeSloFiles: (dir: string, n: number, windowDays: number, tag: string, servicePrefix: string) => void
  syncOrFail: (catalog: ReturnType<typeof createSloCatalog>) => Promise<void>
}

interface RateResult {
  rate: number
  rowsPerMinute: number
  tickMs: number[]
  rollupMs: number[]
  baselineMs: number[]
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!
const ms = (x: number) => `${x.toFixed(0)} ms`

/** Inserts one simulated minute of spans for the services `prefix0…`, in batches; 1 % of them late. */
async function insertMinute(storage: Storage, prefix: string, minuteStart: number, rowsPerMinute: number, offset: number): Promise<void> {
  const per = Math.ceil(rowsPerMinute / BATCHES_PER_MINUTE)
  for (let b = 0; b < BATCHES_PER_MINUTE; b++) {
    await storage.command(
      `INSERT INTO otel_traces (Timestamp, TraceId, SpanId, ServiceName, SpanName, SpanKind, StatusCode, Duration, SpanAttributes)
       SELECT toDateTime64({from:UInt32}, 9) + toIntervalMillisecond(intDiv(n * 60000, {rows:UInt32})) - if(n % 100 = 7, toIntervalMinute(5 + n % 26), toIntervalMinute(0)),
         toString(n), toString(n), concat({prefix:String}, toString(n % {services:UInt32})), concat('GET /items/', toString(n % 3)), 'Server',
         if(n % 50 = 0, 'Error', 'Ok'), (n % 600) * 1000000, map('http.route', concat('/r', toString(intDiv(n, {services:UInt32}) % 5)))
       FROM (SELECT number + {first:UInt64} AS n FROM numbers({per:UInt64}))`,
      { from: minuteStart, rows: rowsPerMinute, prefix, services: SERVICES, first: offset + b * per, per },
    )
  }
}

async function runRate(o: SustainedOptions, rate: number, index: number): Promise<RateResult> {
  const tag = `s${index}`
  const prefix = `ing${index}-`
  const sloDir = join(o.root, `slos-${tag}`)
  mkdirSync(sloDir)
  o.writeSloFiles(sloDir, o.slos, 1, tag, prefix)
  const phases: number[] = []
  // The engine's own per-phase timings (its debug line at the end of each tick).
  const logger = pino({ level: 'debug' }, new Writable({ write: (chunk, _e, done) => {
    const line = JSON.parse(String(chunk))
    if (line.msg === 'SLO evaluation tick done') phases.push(line.rollupMs)
    done()
  } }))
  const catalog = createSloCatalog({ storage: o.storage, sloDir, logger })
  await o.syncOrFail(catalog)
  const slos: Slo[] = await catalog.list()
  const config = configSchema.parse({ engine: { sloDir } }).engine
  const engine = createEngine({ config, storage: o.storage, logger, registry: new Registry(), catalog, pruneRollups: false })
  const rowsPerMinute = rate * 60
  const result: RateResult = { rate, rowsPerMinute, tickMs: [], rollupMs: [], baselineMs: [] }
  // The SLOs' first tick backfills their (empty) history; the steady ticks follow.
  await engine.tick(new Date(o.startSeconds * 1000))
  for (let m = 0; m < o.minutes; m++) {
    const minute = o.startSeconds + m * 60
    const insertStarted = performance.now()
    await insertMinute(o.storage, prefix, minute, rowsPerMinute, m * rowsPerMinute)
    const insertMs = performance.now() - insertStarted
    const started = performance.now()
    await engine.tick(new Date((minute + 60) * 1000))
    const tickMs = performance.now() - started
    // The first minutes are warm-up: the re-read only holds a full 10 minutes from the 10th on (and is not run before).
    const counted = m >= Math.min(o.minutes - 3, LOOKBACK_SECONDS / 60 - 1)
    const baselineStarted = performance.now()
    if (counted) await countRange(o.storage, slos, rangeSelection({ fromSeconds: minute + 60 - LOOKBACK_SECONDS, toSeconds: minute + 60 }))
    const baselineMs = performance.now() - baselineStarted
    if (counted) {
      result.tickMs.push(tickMs)
      result.rollupMs.push(phases.at(-1)!)
      result.baselineMs.push(baselineMs)
    }
    console.log(
      `  ${rate.toLocaleString('en')} spans/s: minute ${m + 1}/${o.minutes} inserted ${rowsPerMinute.toLocaleString('en')} spans in ${(insertMs / 1000).toFixed(1)} s; tick ${ms(tickMs)} (rollup ${ms(phases.at(-1)!)})${counted ? `; re-read of 10 minutes ${ms(baselineMs)}` : ' (warm-up)'}`,
    )
  }
  return result
}

/** Runs every rate and prints the table; returns nothing (the figures are printed). */
export async function sustainedIngest(o: SustainedOptions): Promise<void> {
  console.log('')
  console.log(`sustained ingest — ${o.slos} span SLOs over ${SERVICES} services, ${o.minutes} simulated minutes per rate, the minute's spans in ${BATCHES_PER_MINUTE} inserts then a tick`)
  const results: RateResult[] = []
  for (const [i, rate] of o.rates.entries()) results.push(await runRate({ ...o, startSeconds: o.startSeconds + i * 3 * 3600 }, rate, i))
  console.log('')
  console.log(['spans/s', 'rows per minute', 'tick (median)', 'rollup phase (median)', 're-read of 10 min (median)', 'tick ÷ re-read', 'rollup µs per new row'].join('  '))
  for (const r of results) {
    const tick = median(r.tickMs)
    const rollup = median(r.rollupMs)
    const base = median(r.baselineMs)
    console.log(
      [r.rate.toLocaleString('en').padStart(7), r.rowsPerMinute.toLocaleString('en').padStart(15), ms(tick).padStart(13), ms(rollup).padStart(21), ms(base).padStart(26), (tick / base).toFixed(2).padStart(14), ((rollup * 1000) / r.rowsPerMinute).toFixed(3).padStart(21)].join('  '),
    )
  }
  console.log(`(medians of ${results[0]?.tickMs.length ?? 0} ticks per rate after the warm-up)`)
}
