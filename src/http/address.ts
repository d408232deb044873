/**
 * The client address a login is counted against: the socket's, or with `trustProxy` the one the
 * trusted proxies saw; IPv6 by its /64.
 */
import { getHeader } from '../core/credentials.js'
import type { AuthRouteRequest } from './types.js'

/**
 * The address a login is counted against: IPv4 as is, IPv6 by its /64 prefix (a client holds a
 * whole /64 and could rotate through it), IPv4-mapped IPv6 as IPv4.
 */
export function rateLimitAddress(address: string | undefined): string {
  if (!address) return 'unknown'
  let a = address.trim().toLowerCase()
  if (a.startsWith('[') && a.includes(']')) a = a.slice(1, a.indexOf(']'))
  const zone = a.indexOf('%')
  if (zone >= 0) a = a.slice(0, zone)
  if (!a.includes(':')) return a
  const mapped = /^(?:0*:)*:?ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(a) ?? /^::(\d+\.\d+\.\d+\.\d+)$/.exec(a)
  if (mapped) return mapped[1]!
  // Expand `::` and keep the first four hextets.
  const [head = '', tail = ''] = a.split('::', 2) as [string, string?]
  const headParts = head ? head.split(':') : []
  const tailParts = a.includes('::') ? (tail ? tail.split(':') : []) : []
  const missing = 8 - headParts.length - tailParts.length
  const parts = a.includes('::')
    ? [...headParts, ...Array(Math.max(0, missing)).fill('0'), ...tailParts]
    : headParts
  return `${parts
    .slice(0, 4)
    .map((p) => (Number.parseInt(p || '0', 16) || 0).toString(16))
    .join(':')}::/64`
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
