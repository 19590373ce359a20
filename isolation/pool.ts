// Worker threads for the parsing that can take long: large OTLP and
// remote_write bodies and SLO specs are decoded here, off the main thread, so
// /healthz, ingest of small requests and the engine's ticks keep running while
// a 60 MiB body is parsed. A task is a named export of a module, a pure
// function of structured-clonable input, returning { value, transfer? }.
// Each worker has a bounded heap: a body that needs more fails its own task
// (WorkerCrashedError), the worker is replaced, and nothing else is touched.

import { availableParallelism } from 'node:os'
import { Worker } from 'node:worker_threads'

export interface TaskRequest {
  id: number
  module: string
  fn: string
  input: unknown
}

export type TaskReply =
  | { id: number; ok: true; value: unknown; transfer?: ArrayBuffer[] }
  | { id: number; ok: false; error: { name: string; message: string; status?: number } }

/** A task threw: its error's name, message and (for HTTP-aware tasks) status, as thrown in the worker. */
export class TaskError extends Error {
  constructor(
    name: string,
    message: string,
    readonly status?: number,
  ) {
    super(message)
    this.name = name
  }
}

/** The worker running a task died (out of its heap, most likely): the task's input needs more than a worker may use. */
export class WorkerCrashedError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'WorkerCrashedError'
  }
}

export interface PoolOptions {
  /** Worker threads; default: the cores, at most 2. */
  workers?: number
  /** Heap of each worker, MiB. */
  maxHeapMb?: number
}

interface Job {
  request: TaskRequest
  transfer: ArrayBuffer[]
  resolve(value: unknown): void
  reject(err: Error): void
}

interface Slot {
  worker: Worker
  job: Job | undefined
  /** Preload requests sent to this worker and not answered yet, with what each resolves. */
  preloads: Map<number, () => void>
}

const ENTRY = new URL('./worker-entry.js', import.meta.url)
/** The task name of a request that only loads its module (its id is negative: its reply matches no job). */
export const PRELOAD = '*preload'

export class WorkerPool {
  private readonly size: number
  private readonly maxHeapMb: number
  private readonly slots: Slot[] = []
  private readonly queue: Job[] = []
  private nextId = 1

  constructor(options: PoolOptions = {}) {
    this.size = Math.max(1, options.workers ?? Math.min(2, availableParallelism()))
    this.maxHeapMb = options.maxHeapMb ?? 384
  }

  /**
   * Runs `fn` of `module` (a file URL) on `input` in a worker. Buffers in
   * `transfer` move to the worker (the caller must not use them after).
   */
  run<T>(module: string, fn: string, input: unknown, transfer: ArrayBuffer[] = []): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ request: { id: this.nextId++, module, fn, input }, transfer, resolve: resolve as (v: unknown) => void, reject })
      this.dispatch()
    })
  }

  /**
   * Starts every worker now and has each load `modules` (file URLs of task
   * modules), so that the first large body after start does not wait for a
   * thread, tsx and the decoders to load (about 1 s, 2 s on a busy machine).
   * The workers do not keep the process alive. Resolves once every worker
   * has tried (a module that fails to load fails its first task instead).
   */
  warm(modules: readonly string[]): Promise<void> {
    while (this.slots.length < this.size) this.spawn()
    const loads = this.slots.flatMap((slot) =>
      modules.map(
        (module) =>
          new Promise<void>((resolve) => {
            const id = -this.nextId++
            slot.preloads.set(id, resolve)
            slot.worker.postMessage({ id, module, fn: PRELOAD, input: null } satisfies TaskRequest)
          }),
      ),
    )
    return Promise.all(loads).then(() => undefined)
  }

  /** Jobs waiting for a worker. */
  get waiting(): number {
    return this.queue.length
  }

  /** Ends every worker; tasks still queued or running fail. Later runs start new workers. */
  async close(): Promise<void> {
    for (const job of this.queue.splice(0)) job.reject(new WorkerCrashedError('the worker pool was closed'))
    const slots = this.slots.splice(0)
    await Promise.all(slots.map((s) => s.worker.terminate()))
  }

  private dispatch(): void {
    while (this.queue.length > 0) {
      let slot = this.slots.find((s) => s.job === undefined)
      if (!slot && this.slots.length < this.size) slot = this.spawn()
      if (!slot) return
      const job = this.queue.shift()!
      slot.job = job
      slot.worker.ref()
      slot.worker.postMessage(job.request, job.transfer)
    }
  }

  private preloaded(slot: Slot, id: number): void {
    slot.preloads.get(id)?.()
    slot.preloads.delete(id)
  }

  private spawn(): Slot {
    const worker = new Worker(ENTRY, {
      execArgv: [],
      resourceLimits: { maxOldGenerationSizeMb: this.maxHeapMb, maxYoungGenerationSizeMb: 32 },
    })
    const slot: Slot = { worker, job: undefined, preloads: new Map() }
    worker.unref()
    worker.on('message', (reply: TaskReply) => {
      if (reply.id < 0) return this.preloaded(slot, reply.id)
      const job = slot.job
      if (!job || job.request.id !== reply.id) return
      slot.job = undefined
      worker.unref()
      if (reply.ok) job.resolve(reply.value)
      else job.reject(new TaskError(reply.error.name, reply.error.message, reply.error.status))
      this.dispatch()
    })
    const fail = (err: Error) => {
      for (const id of [...slot.preloads.keys()]) this.preloaded(slot, id)
      const i = this.slots.indexOf(slot)
      if (i < 0) return
      this.slots.splice(i, 1)
      const job = slot.job
      slot.job = undefined
      job?.reject(new WorkerCrashedError(`the parse worker stopped: ${err.message}`))
      this.dispatch()
    }
    worker.on('error', fail)
    worker.on('exit', (code) => fail(new Error(`exit code ${code}`)))
    this.slots.push(slot)
    return slot
  }
}

/** The whole of a Buffer's memory when it owns it (then it can be transferred), else a copy that does. */
export function ownArrayBuffer(buf: Buffer): ArrayBuffer {
  if (buf.byteOffset === 0 && buf.byteLength === buf.buffer.byteLength && buf.buffer instanceof ArrayBuffer) return buf.buffer
  const copy = new ArrayBuffer(buf.byteLength)
  new Uint8Array(copy).set(buf)
  return copy
}
