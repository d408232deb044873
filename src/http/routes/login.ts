/**
 * `POST /login` (and the password grant of `POST /token`): reserve the attempt (rate limit) → user
 * lookup → reserve it against the user id too → password check (the same work for an unknown
 * user) → give the reservation back on success → re-hash when due → a new token pair.
 */
import { getHeader } from '../../core/credentials/index.js'
import { AuthError } from '../../core/errors.js'
import { issueTokens } from '../../core/issue.js'
import { randomId } from '../../core/jws/tokens.js'
import { clientAddress } from '../address.js'
import { badRequest, stringField } from '../body.js'
import { checkedProofOf, withNonce } from '../dpop.js'
import {
  normaliseUsername,
  type Reservation,
  release,
  reserveAttempt,
  reserveSubject,
} from '../rate-limit.js'
import { appCallback, type Dummy, type RouteContext } from '../route-context.js'
import { checkSignIn, tokenResponse } from '../session-cookies.js'
import type { AuthRouteRequest, AuthRouteResponse, BodyFields } from '../types.js'
import { loadPasswords, userIdOf } from '../users.js'

const MAX_PASSWORD_BYTES = 1024
const MAX_USERNAME_LENGTH = 256

/** The user whose password this is, or `undefined`; `newHash` when the stored hash is due an upgrade. */
export async function checkPassword(
  route: RouteContext,
  attempt: { username: string; password: string; address: string; reservation: Reservation },
): Promise<{ user: unknown; newHash?: string }> {
  const { username, password } = attempt
  const o = route.options
  if (o.verifyCredentials) {
    const verifyCredentials = o.verifyCredentials
    return {
      user:
        (await appCallback(route, 'verifyCredentials', () => verifyCredentials(username, password))) ??
        undefined,
    }
  }
  const passwords = await loadPasswords()
  const findUser = o.findUser!
  const found = await appCallback(route, 'findUser', () => findUser(username))
  const hash = found
    ? await appCallback(route, 'passwordHashOf', () =>
        o.passwordHashOf ? o.passwordHashOf(found) : (found as { passwordHash?: unknown }).passwordHash,
      )
    : undefined
  // An unknown user costs the same store call (under a key no id can take): timing reveals nothing.
  const subject = userIdOf(found) ?? `?${normaliseUsername(username)}`
  await reserveSubject(route, attempt.reservation, subject, username, attempt.address)
  const dummy = await warmDummy(route)!
  const started = performance.now()
  if (!found || typeof hash !== 'string' || hash.length === 0) {
    // Same work for an unknown user as for a wrong password: timing reveals no usernames.
    await passwords.verifyPassword(dummy.hash, password)
    remember(dummy, performance.now() - started)
    return { user: undefined }
  }
  if (!(await passwords.verifyPassword(hash, password))) {
    // I1: a hash made with cheaper parameters (an older argon2 setting, a low bcrypt cost) answers
    // sooner than any check against the dummy: such a refusal is held to one of the dummy's recent
    // check times, drawn at random — the unknown user's distribution, not just its average.
    const took = performance.now() - started
    if (took < Math.min(...dummy.times)) await holdUntil(started, heldTime(dummy))
    return { user: undefined }
  }
  if (o.updatePasswordHash && passwords.needsRehash(hash, o.passwordOptions))
    return { user: found, newHash: await passwords.hashPassword(password, o.passwordOptions) }
  return { user: found }
}

const DUMMY_TIMES = 32

/** One of the dummy's recent check times, at random: the time a refusal is held to. */
function heldTime(dummy: Dummy): number {
  return dummy.times[Math.floor(Math.random() * dummy.times.length)] ?? 0
}

/** Keeps the time of a check against the dummy hash (the oldest one goes). */
function remember(dummy: Dummy, ms: number): void {
  dummy.times[dummy.next] = ms
  dummy.next = (dummy.next + 1) % DUMMY_TIMES
}

/**
 * Waits until `ms` have passed since `started`, neither sooner nor (measurably) later: a timer for
 * all but the last millisecond or so (timers take whole milliseconds and fire late by a fraction
 * of one), then turn by turn of the event loop until the time has passed. Other requests run in
 * every turn; the last stretch costs at most about a millisecond of CPU, for a refusal that is
 * rate-limited anyway. (Rounding the timer up instead held such refusals 0.5 ms longer than the
 * unknown user's on average: 5 % of a default check, a measurable tell.)
 */
async function holdUntil(started: number, ms: number): Promise<void> {
  const left = ms - (performance.now() - started)
  if (left >= 2) await new Promise((resolve) => setTimeout(resolve, Math.floor(left) - 1))
  while (performance.now() - started < ms) await new Promise(nextTurn)
}

/** Resolves in the event loop's next turn, after the I/O that is ready (setImmediate where there is one). */
const nextTurn: (resolve: (value?: unknown) => void) => void =
  typeof setImmediate === 'function'
    ? (resolve) => setImmediate(resolve)
    : (resolve) => setTimeout(resolve, 0)

/**
 * The dummy hash, started on the routes' first request (with `findUser`: the library checks the
 * passwords) and measured once, so the first unknown user costs what later ones do.
 */
export function warmDummy(route: RouteContext): Promise<Dummy> | undefined {
  if (!route.options.findUser || route.options.verifyCredentials) return undefined
  const { memory } = route
  memory.dummy ??= (async () => {
    const passwords = await loadPasswords()
    const hash = await passwords.hashPassword(`dummy-${randomId()}`, route.options.passwordOptions)
    const dummy: Dummy = { hash, times: [], next: 0 }
    for (let i = 0; i < 3; i++) {
      const started = performance.now()
      await passwords.verifyPassword(hash, 'warm-up')
      remember(dummy, performance.now() - started)
    }
    return dummy
  })()
  // A failure surfaces where the dummy is awaited (a login), never as an unhandled rejection.
  memory.dummy.catch(() => {})
  return memory.dummy
}

/** The username and password of a login body (`username` or `email`, and `password`). */
export function passwordCredentialsOf(fields: BodyFields): { username: string; password: string } {
  const username = stringField(fields, 'username', false) ?? stringField(fields, 'email', true)
  const password = stringField(fields, 'password', true)
  if (username.length > MAX_USERNAME_LENGTH) throw badRequest('the username is too long')
  if (new TextEncoder().encode(password).length > MAX_PASSWORD_BYTES)
    throw badRequest('the password is longer than 1024 bytes')
  return { username, password }
}

/** The login route (and the password grant of `/token`, with the client it authenticated). */
export async function loginRoute(
  route: RouteContext,
  request: AuthRouteRequest,
  fields: BodyFields,
  /** The authenticated OAuth client (`/token`): the tokens carry its `client_id` (RFC 9068 §2.2). */
  clientId?: string,
): Promise<AuthRouteResponse> {
  const { core, settings } = route
  const { username, password } = passwordCredentialsOf(fields)
  // S5: in cookie mode the answer signs the browser in: a cross-site page may not (login CSRF).
  checkSignIn(request, settings.cookies)
  // In order of cost: the rate limit, the DPoP proof (RFC 9449 §5; checked, not yet recorded), the
  // password — and only then anything of this request kept in the store (the proof's jti).
  const address = clientAddress(request, settings.proxyHops)
  const reservation = await reserveAttempt(route, username, address)
  const proof = await checkedProofOf(route, request)
  const { user, newHash } = await checkPassword(route, { username, password, address, reservation })
  if (!user) {
    core.emit({ type: 'login_failed', username, address, reason: 'invalid credentials' })
    throw new AuthError('invalid_credentials', 'the username or password is incorrect')
  }
  await release(route, reservation)
  if (newHash !== undefined) {
    const update = route.options.updatePasswordHash!
    // A failed re-hash must not fail the login; it is retried on the next one.
    await appCallback(route, 'updatePasswordHash', () => update(user, newHash)).catch(() => {})
  }
  const claims = await appCallback(route, 'claimsFor', () => route.claimsFor(user))
  const pair = await issueTokens(
    core,
    clientId === undefined ? claims : ({ ...claims, client_id: clientId } as typeof claims),
    // The session record keeps the device and network of the login (IPv6: its /64 only).
    { userAgent: getHeader(request.headers, 'user-agent'), address, proof },
  )
  core.emit({ type: 'login_succeeded', username, sub: claims.sub, address })
  return withNonce(route, tokenResponse(pair, settings.cookies, settings.prefix))
}
