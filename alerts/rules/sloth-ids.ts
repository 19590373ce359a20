import type { Slo } from '../../slo-engine/index.ts'

// The labels that identify an SLO in Sloth-compatible rules. Dashboards built
// for Sloth select on them, so cairn keeps their names and values.

export function slothIdLabels(slo: Slo): Record<string, string> {
  return { sloth_id: slo.id, sloth_service: slo.service, sloth_slo: slo.name }
}

/** `{sloth_id="…", sloth_service="…", sloth_slo="…"}` */
export function slothSelector(slo: Slo): string {
  const l = slothIdLabels(slo)
  return `{sloth_id=${JSON.stringify(l.sloth_id)}, sloth_service=${JSON.stringify(l.sloth_service)}, sloth_slo=${JSON.stringify(l.sloth_slo)}}`
}

export function sliErrorRecord(windowText: string): string {
  return `slo:sli_error:ratio_rate${windowText}`
}
