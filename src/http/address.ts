/**
 * The client address a login is counted against: the socket's, or with `trustProxy` the one the
 * trusted proxies saw; IPv6 by its /64.
 */

import { getHeader } from '../core/credentials/index.js'
import { addressPrefix } from '../core/lib/address.js'
import type { AuthRouteRequest } from './types.js'

/**
 * The address a login is counted against: IPv4 as is, IPv6 by its /64 prefix (a client holds a
 * whole /64 and could rotate through it), IPv4-mapped IPv6 as IPv4 — the reduction session
 * records keep too (core/lib/address.ts).
 */
export function rateLimitAddress(address: string | undefined): string {
  return addressPrefix(address) ?? 'unknown'
}

/** The client address: the socket's, or with `trustProxy` the one the trusted proxies saw. */
export function clientAddress(
  request: Pick<AuthRouteRequest, 'headers' | 'address'>,
  trustProxy: boolean | number | undefined,
): string {
  const hops = trustProxy === true ? 1 : typeof trustProxy === 'number' ? trustProxy : 0
  if (hops > 0) {
    const forwarded = getHeader(request.headers, 'x-forwarded-for')
    if (forwarded) {
      const chain = forwarded
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean)
      // Each trusted proxy appends the address it saw; entries left of those are client-supplied.
      const picked = chain[chain.length - hops] ?? chain[0]
      if (picked) return picked
    }
  }
  return request.address ?? 'unknown'
}
