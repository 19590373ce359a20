import { clickhouseErrorCode, isStorageUnavailable } from '../storage/index.ts'

// Work over many SLOs runs as one grouped query (one statement per table, see
// sli/plan.ts), so one SLO the engine cannot evaluate (a pattern RE2 refuses, a
// query ClickHouse rejects or times out on) would fail the group. confine()
// runs the group and, only when it fails, bisects it until the failure is
// pinned on single SLOs: k failing SLOs among n cost about 2·k·log2(n) extra
// runs, the healthy case none. A store that is down fails every run alike, so
// that error is not bisected but thrown, and the tick fails as a whole.

/** True when `err` says storage is unavailable rather than that this query failed (storage/ decides, from ClickHouse's codes). */
export function isStorageDown(err: unknown): boolean {
  return isStorageUnavailable(err)
}

export interface Confined<T, R> {
  done: { items: T[]; result: R }[]
  failed: { item: T; error: unknown }[]
}

/** Runs `run` over `items`, bisecting on failure so that each failure is confined to the items that cause it. */
export async function confine<T, R>(items: readonly T[], run: (items: T[]) => Promise<R>): Promise<Confined<T, R>> {
  const out: Confined<T, R> = { done: [], failed: [] }
  const attempt = async (part: T[]): Promise<void> => {
    if (part.length === 0) return
    try {
      out.done.push({ items: part, result: await run(part) })
    } catch (error) {
      if (isStorageDown(error)) throw error
      if (part.length === 1) {
        out.failed.push({ item: part[0]!, error })
        return
      }
      const half = Math.ceil(part.length / 2)
      await attempt(part.slice(0, half))
      await attempt(part.slice(half))
    }
  }
  await attempt([...items])
  return out
}

/** A failure as one line for the status and logs: the ClickHouse code and the first sentence, without the SQL text. */
export function failureReason(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error)
  const code = clickhouseErrorCode(error)
  const first = message.split(/\n|\. (?=[A-Z(])/)[0]!.slice(0, 300)
  return code !== undefined ? `ClickHouse error ${code}: ${first}` : first
}
