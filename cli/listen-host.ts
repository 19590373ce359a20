import type { CairnConfig } from '../config/index.ts'
import { UsageError } from './command.ts'

// Secure by default: an unauthenticated cairn is reachable only from its own
// machine. It listens on every interface only when the API is protected by
// tokens, or when the operator said so explicitly with CAIRN_AUTH=none.

const LOOPBACK = '127.0.0.1'
const ALL_INTERFACES = '0.0.0.0'

export function isLoopback(host: string): boolean {
  const h = host.toLowerCase().replace(/^\[|\]$/g, '')
  return h === 'localhost' || h === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h)
}

export interface ListenDecision {
  host: string
  /** Why there is no authentication, for the start-up warning; undefined when tokens protect the API. */
  openBecause?: 'auth-none' | 'loopback-only'
}

/** The address to listen on, or a UsageError when an explicit address would expose an unauthenticated cairn. */
export function listenHost(config: Pick<CairnConfig, 'host' | 'api'>): ListenDecision {
  const { tokens, auth } = config.api
  if (tokens.length > 0) return { host: config.host ?? ALL_INTERFACES }
  if (auth === 'none') return { host: config.host ?? ALL_INTERFACES, openBecause: 'auth-none' }
  const host = config.host ?? LOOPBACK
  if (!isLoopback(host)) {
    throw new UsageError(
      `refusing to listen on ${host} (CAIRN_HOST) without authentication: configure tokens (CAIRN_API_TOKENS), ` +
        'or set CAIRN_AUTH=none to serve without authentication on purpose',
      2,
    )
  }
  return { host, openBecause: 'loopback-only' }
}
