import type { Slo, SloCatalog } from '../slo-engine/index.ts'
import { noSuchSlo } from './errors.ts'

/** The SLO with this id, or the API's 404 for it. */
export async function requireSlo(catalog: SloCatalog, id: string): Promise<Slo> {
  const slo = await catalog.get(id)
  if (!slo) throw noSuchSlo(id)
  return slo
}
