/**
 * The login rate limit, counted in the TokenStore so it holds across every instance: per username,
 * per user id once the user is known, and per client address (IPv6 per /64).
 *
 * Atomic by construction: an attempt is RESERVED (one atomic increment per counter) before any
 * password work, and refused when a counter is past its limit — so 40 guesses sent at once get
 * exactly `maxPerUsername` password checks, not 40. A failed attempt keeps its reservation; a
 * successful one gives it back. A store that refuses the increment refuses the login (503): a
 * password is never checked unless its attempt was counted.
 */
import { AuthError, storeCall } from '../core/errors.js'
import { rateLimitAddress } from './address.js'
import type { RouteContext } from './route-context.js'

/** The counters one attempt holds, to give back on success. */
export interface Reservation {
  readonly keys: string[]
}

const NO_RESERVATION: Reservation = { keys: [] }

/**
 * The rate-limit identity of a typed username: Unicode NFKC, surrounding white space trimmed, case
 * folded — so "ALICE ", " alice" and "ａｌｉｃｅ" count against one limit, however `findUser`
 * matches them.
 */
export function normaliseUsername(username: string): string {
  return username.normalize('NFKC').trim().toLowerCase()
}

/**
 * 429. The refused attempt gives back what it reserved (`keys`): it checked no password, so it is no
 * failure — a burst of logins of one user cannot lock the account, and the counts still never let
 * more than the limit through at once (each give-back removes only its own reservation).
 */
async function refuse(
  route: RouteContext,
  keys: readonly string[],
  username: string,
  address: string,
  reason: string,
): Promise<never> {
  await release(route, { keys: [...keys] })
  route.core.emit({ type: 'rate_limited', username, address, reason })
  throw new AuthError('rate_limited', `${reason}; try again later`, {
    retryAfter: route.settings.limits?.window,
  })
}

/** One atomic increment per key; the counts in the same order. A refused write is a 503. */
function count(route: RouteContext, keys: readonly string[], window: number): Promise<number[]> {
  const { store } = route
  return storeCall(() => Promise.all(keys.map((key) => store.hit(key, window, 1))))
}

/**
 * Reserves an attempt for `username` from `address` before any password work; 429 when the
 * username or the address is past its limit. Without a known client address (Hono on Bun, Deno or
 * an edge runtime without `getAddress`) only the username is counted, and a `warning` event says
 * so once: one shared bucket for every client would let anyone lock all logins.
 */
export async function reserveAttempt(
  route: RouteContext,
  username: string,
  address: string,
): Promise<Reservation> {
  const limits = route.settings.limits
  if (!limits) return NO_RESERVATION
  const known = address !== 'unknown'
  if (!known && !route.memory.warnedNoAddress) {
    route.memory.warnedNoAddress = true
    route.core.emit({
      type: 'warning',
      message:
        'the client address is unknown, so logins are limited per username only: pass getAddress (Hono on Bun/Deno/edge) or check trustProxy',
    })
  }
  const keys: string[] = []
  // The address first: an address past its limit creates no username counters, so one client
  // cannot fill the store with counters by spraying usernames.
  if (known) {
    const addressKey = `login:addr:${rateLimitAddress(address)}`
    const [byAddress = 0] = await count(route, [addressKey], limits.window)
    keys.push(addressKey)
    if (byAddress > limits.perAddress)
      await refuse(route, keys, username, address, 'too many failed logins from this address')
  }
  const userKey = `login:user:${normaliseUsername(username)}`
  const [byUser = 0] = await count(route, [userKey], limits.window)
  keys.push(userKey)
  if (byUser > limits.perUser)
    await refuse(route, keys, username, address, 'too many failed logins for this user')
  return { keys }
}

/**
 * Reserves a client-authentication attempt (`/token`, `/revoke`, `/introspect`): per client id and
 * per address (IPv6 per /64), each against `rateLimit.maxPerAddress` — a client secret is guessed
 * like a password, but a lower per-client limit would let anyone lock a backend service out. 429
 * past either; the address first, as for logins. No client (an unknown id): the address only.
 */
export async function reserveClientAttempt(
  route: RouteContext,
  clientId: string | undefined,
  address: string,
): Promise<Reservation> {
  const limits = route.settings.limits
  if (!limits) return NO_RESERVATION
  const keys: string[] = []
  const over = (count: number) => count > limits.perAddress
  if (address !== 'unknown') {
    const key = `client:addr:${rateLimitAddress(address)}`
    const [byAddress = 0] = await count(route, [key], limits.window)
    keys.push(key)
    if (over(byAddress))
      await refuse(
        route,
        keys,
        clientId ?? '',
        address,
        'too many failed client authentications from this address',
      )
  }
  if (clientId !== undefined) {
    const key = `client:id:${clientId}`
    const [byClient = 0] = await count(route, [key], limits.window)
    keys.push(key)
    if (over(byClient))
      await refuse(route, keys, clientId, address, 'too many failed authentications of this client')
  }
  return { keys }
}

/**
 * Counts the attempt against the user's id too, once `findUser` has resolved it (before the
 * password is checked): the same account reached by its username and its e-mail shares one limit.
 */
export async function reserveSubject(
  route: RouteContext,
  reservation: Reservation,
  subject: string,
  username: string,
  address: string,
): Promise<void> {
  const limits = route.settings.limits
  if (!limits) return
  const key = `login:sub:${subject}`
  const [bySubject = 0] = await count(route, [key], limits.window)
  reservation.keys.push(key)
  if (bySubject > limits.perUser)
    await refuse(route, reservation.keys, username, address, 'too many failed logins for this user')
}

/** A successful login gives its reservation back (best effort: a counter left high only errs safe). */
export async function release(route: RouteContext, reservation: Reservation): Promise<void> {
  const limits = route.settings.limits
  if (!limits || reservation.keys.length === 0) return
  const { store } = route
  await Promise.all(reservation.keys.map((key) => store.hit(key, limits.window, -1))).catch(() => {})
}
