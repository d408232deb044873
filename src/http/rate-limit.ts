/**
 * The login rate limit, counted in the TokenStore so it holds across every instance: per username
 * and per client address (IPv6 per /64).
 */
import { storeCall } from '../core/context.js'
import { AuthError } from '../core/errors.js'
import { rateLimitAddress } from './address.js'
import type { RouteContext } from './route-context.js'

/** The counters one login attempt is counted against. */
export interface AttemptKeys {
  user: string
  address: string
}

/** The store keys of a login attempt. */
export function attemptKeys(username: string, address: string): AttemptKeys {
  return { user: `login:user:${username.toLowerCase()}`, address: `login:addr:${rateLimitAddress(address)}` }
}

/**
 * Refuses the attempt (429 with `Retry-After`) when either counter is full. Checked before any
 * password work, so a locked-out attacker costs no hashing.
 */
export async function checkAttempt(
  route: RouteContext,
  keys: AttemptKeys,
  username: string,
  address: string,
): Promise<void> {
  const limits = route.settings.limits
  if (!limits) return
  const { store } = route
  const [byUser, byAddress] = await storeCall(() =>
    Promise.all([store.hit(keys.user, limits.window, 0), store.hit(keys.address, limits.window, 0)]),
  )
  if (byUser < limits.perUser && byAddress < limits.perAddress) return
  const reason =
    byAddress >= limits.perAddress
      ? 'too many failed logins from this address'
      : 'too many failed logins for this user'
  route.auth.emit({ type: 'rate_limited', username, address, reason })
  throw new AuthError('rate_limited', 'too many failed login attempts; try again later', {
    retryAfter: limits.window,
  })
}

/** Counts a failed attempt against both counters. */
export async function countFailure(route: RouteContext, keys: AttemptKeys): Promise<void> {
  const limits = route.settings.limits
  if (!limits) return
  const { store } = route
  await storeCall(() =>
    Promise.all([store.hit(keys.user, limits.window), store.hit(keys.address, limits.window)]),
  )
}
