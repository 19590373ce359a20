import type { Builder, Dataquery } from '@grafana/grafana-foundation-sdk/cog'

// The foundation SDK has no builder for grafana-clickhouse-datasource, so this
// is the plugin's SQL-editor query model (v4 shape) as a cog Dataquery variant.
// `pluginVersion` (>= 4.0.0) and `editorType: "sql"` are what keep the plugin
// from treating a saved query as a v3 one and migrating it on load.

export const CLICKHOUSE_DATASOURCE_TYPE = 'grafana-clickhouse-datasource'
/** The query shape below is the plugin's since 4.0.0. */
export const CLICKHOUSE_QUERY_PLUGIN_VERSION = '4.0.0'

export type ClickHouseQueryType = 'timeseries' | 'table' | 'logs' | 'traces'

/** The plugin's `format` numbers, as Grafana's SQL data sources number them. */
const FORMAT: Record<ClickHouseQueryType, number> = { timeseries: 0, table: 1, logs: 2, traces: 3 }

export interface ClickHouseQuery {
  refId?: string
  hide?: boolean
  datasource?: { type: string; uid: string }
  editorType: 'sql'
  queryType: ClickHouseQueryType
  format: number
  rawSql: string
  pluginVersion: string
  meta: Record<string, unknown>
  _implementsDataqueryVariant(): void
}

export class ClickHouseQueryBuilder implements Builder<Dataquery> {
  private readonly internal: ClickHouseQuery

  constructor(rawSql: string, queryType: ClickHouseQueryType) {
    this.internal = {
      editorType: 'sql',
      queryType,
      format: FORMAT[queryType],
      rawSql,
      pluginVersion: CLICKHOUSE_QUERY_PLUGIN_VERSION,
      meta: {},
      _implementsDataqueryVariant() {},
    }
  }

  build(): ClickHouseQuery {
    return this.internal
  }

  refId(refId: string): this {
    this.internal.refId = refId
    return this
  }

  datasource(uid: string): this {
    this.internal.datasource = { type: CLICKHOUSE_DATASOURCE_TYPE, uid }
    return this
  }
}

/**
 * A ClickHouse string literal. Dashboard SQL is text Grafana sends as is (the
 * plugin has no bound parameters), so values from SLO specs are escaped here;
 * ClickHouse string literals escape backslash and single quote with a backslash.
 */
export function sqlString(value: string): string {
  return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`
}
