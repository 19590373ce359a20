/**
 * The status list, read at most once per `ttlMs`: concurrent requests share one
 * read, and once the answer is stale it is still served while a single refresh
 * runs in the background (for at most 10 × ttl; after that requests wait for
 * fresh data, so an outage shows as errors rather than as old numbers).
 */
export function statusListCache(ttlMs: number, read: () => Promise<string>) {
  let entry: { atMs: number; text: string } | undefined
  let inflight: Promise<string> | undefined
  // A read that started before clear() must not store what it read: a change happened since.
  let generation = 0
  const refresh = () => {
    if (inflight) return inflight
    const started = generation
    const startedAtMs = Date.now()
    const current = read()
      .then((text) => {
        if (started === generation) entry = { atMs: startedAtMs, text }
        return text
      })
      .finally(() => {
        if (inflight === current) inflight = undefined
      })
    inflight = current
    return current
  }
  return {
    async get(): Promise<string> {
      if (ttlMs <= 0) return read()
      const age = entry ? Date.now() - entry.atMs : Infinity
      if (age < ttlMs) return entry!.text
      if (age < 10 * ttlMs) {
        refresh().catch(() => undefined) // a failed background refresh is retried by the next request
        return entry!.text
      }
      return refresh()
    },
    clear() {
      generation++
      entry = undefined
      inflight = undefined
    },
  }
}
