// The grafana-clickhouse-datasource macros, expanded the way the plugin's
// backend does before it sends a query, so that tests can run dashboard SQL.

export interface MacroContext {
  fromMs: number
  toMs: number
  intervalSeconds: number
}

export function expandClickHouseMacros(sql: string, ctx: MacroContext): string {
  const from = Math.floor(ctx.fromMs / 1000)
  const to = Math.floor(ctx.toMs / 1000)
  const withArgs: Record<string, (arg: string) => string> = {
    timeFilter: (c) => `${c} >= toDateTime(${from}) AND ${c} <= toDateTime(${to})`,
    timeFilter_ms: (c) => `${c} >= fromUnixTimestamp64Milli(${ctx.fromMs}) AND ${c} <= fromUnixTimestamp64Milli(${ctx.toMs})`,
    timeInterval: (c) => `toStartOfInterval(toDateTime(${c}), INTERVAL ${Math.max(1, ctx.intervalSeconds)} second)`,
    timeInterval_ms: (c) => `toStartOfInterval(toDateTime64(${c}, 3), INTERVAL ${Math.max(1, ctx.intervalSeconds * 1000)} millisecond)`,
  }
  let out = sql.replace(/\$__(\w+)\(([^()]*)\)/g, (whole, name: string, arg: string) => {
    const expand = withArgs[name]
    if (!expand) throw new Error(`unknown macro ${whole}`)
    return expand(arg.trim())
  })
  out = out
    .replace(/\$__fromTime_ms\b/g, `fromUnixTimestamp64Milli(${ctx.fromMs})`)
    .replace(/\$__toTime_ms\b/g, `fromUnixTimestamp64Milli(${ctx.toMs})`)
    .replace(/\$__fromTime\b/g, `toDateTime(${from})`)
    .replace(/\$__toTime\b/g, `toDateTime(${to})`)
    .replace(/\$__interval_s\b/g, String(Math.max(1, ctx.intervalSeconds)))
  if (/\$__|\$\{/.test(out)) throw new Error(`unexpanded macro or variable in:\n${out}`)
  return out
}
