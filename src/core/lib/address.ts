/**
 * The network a client address belongs to, as tokenward counts and keeps it: IPv4 as is, IPv6 by
 * its /64 (a client — a home, a phone — holds a whole /64 and may rotate through it; the /64 is
 * also all a session record needs to say "this network"), IPv4-mapped IPv6 as IPv4. Pure string
 * work, so both the login rate limit (http/) and the session records (core/) use it.
 */

/**
 * `address` reduced to its network: IPv4 as is, IPv6 to `<first four hextets>::/64`, IPv4-mapped
 * IPv6 as IPv4; `undefined` for no address.
 *
 * @example
 * ```ts
 * addressPrefix('2001:db8:1:2:3:4:5:6') // '2001:db8:1:2::/64'
 * addressPrefix('::ffff:203.0.113.7')   // '203.0.113.7'
 * ```
 */
export function addressPrefix(address: string | null | undefined): string | undefined {
  if (!address) return undefined
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

const IPV4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/
const IPV6_64 = /^[0-9a-f]{1,4}(?::[0-9a-f]{1,4}){3}::\/64$/

/**
 * What a session record shows of an address: its network — IPv4 /24 (`203.0.113.0/24`), IPv6 /64
 * — or with `whole` the IPv4 address itself (IPv6 stays a /64: the rest names a device, and
 * rotates); `undefined` for anything that is not an address.
 *
 * @example
 * ```ts
 * addressNetwork('203.0.113.7')          // '203.0.113.0/24'
 * addressNetwork('203.0.113.7', true)    // '203.0.113.7'
 * addressNetwork('2001:db8:1:2:3:4:5:6') // '2001:db8:1:2::/64'
 * ```
 */
export function addressNetwork(address: string, whole = false): string | undefined {
  const reduced = addressPrefix(address)
  if (reduced === undefined) return undefined
  if (IPV6_64.test(reduced)) return reduced
  const v4 = IPV4.exec(reduced)
  if (!v4 || v4.slice(1).some((octet) => Number(octet) > 255)) return undefined
  return whole ? reduced : `${v4[1]}.${v4[2]}.${v4[3]}.0/24`
}
