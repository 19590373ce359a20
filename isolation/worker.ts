// A parse worker: runs pure tasks (a named export of a module) for the pool,
// one at a time, and hands back their result and the buffers to transfer.

import { setPriority } from 'node:os'
import { parentPort } from 'node:worker_threads'
import { PRELOAD, type TaskReply, type TaskRequest } from './pool.ts'

// The lowest CPU priority for this thread (on Linux, nice values are per thread): on a busy
// machine the main thread, which answers /healthz and every small request, wins the cores.
try {
  setPriority(19)
} catch {
  // Not permitted here: parse at the normal priority.
}

const modules = new Map<string, Promise<Record<string, unknown>>>()

async function run(request: TaskRequest): Promise<TaskReply> {
  try {
    let module = modules.get(request.module)
    if (!module) modules.set(request.module, (module = import(request.module) as Promise<Record<string, unknown>>))
    const loaded = await module
    if (request.fn === PRELOAD) return { id: request.id, ok: true, value: null, transfer: [] }
    const fn = loaded[request.fn]
    if (typeof fn !== 'function') throw new Error(`${request.module} has no task ${request.fn}`)
    const { value, transfer } = (await fn(request.input)) as { value: unknown; transfer?: ArrayBuffer[] }
    return { id: request.id, ok: true, value, transfer }
  } catch (err) {
    const e = err as Error & { status?: number }
    return { id: request.id, ok: false, error: { name: e.name, message: e.message, status: e.status } }
  }
}

parentPort!.on('message', (request: TaskRequest) => {
  void run(request).then((reply) => parentPort!.postMessage(reply, reply.ok ? (reply.transfer ?? []) : []))
})
