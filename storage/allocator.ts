// The embedded engine's allocator. libchdb carries its own jemalloc, which by
// default keeps freed pages for 10 s before giving them back to the system,
// so every insert's blocks and every merge's buffers stay in the process's RSS
// long after ClickHouse let go of them: its own tracker counted under 100 MiB
// while the collector's RSS passed 1 GiB. Here pages freed go back within
// 100 ms, purged by jemalloc's background thread rather than by the threads
// that allocate. Returning them at once (a decay of 0) saved as much but cost
// a quarter of the collector's throughput (docs/performance.md, the
// collector's memory run). Set just before chdb loads: jemalloc reads its
// settings when the library starts. A JE_MALLOC_CONF set by the user wins.

/** jemalloc settings for the embedded engine unless JE_MALLOC_CONF says otherwise. */
export const EMBEDDED_ALLOCATOR_CONF = 'background_thread:true,dirty_decay_ms:100,muzzy_decay_ms:0'

/** Call before the first import of chdb in this process. */
export function configureEmbeddedAllocator(): void {
  process.env.JE_MALLOC_CONF ??= EMBEDDED_ALLOCATOR_CONF
}
