/**
 * refresh and step-up: rotation with reuse detection (RFC 9700 §4.14.2), and the home of session invariants S1
 * and S2 (docs/security.md): {@link rotate} is the ONE function that decides whether a presented
 * refresh token may rotate, and {@link refreshIsLive} the one that says whether it still could.
 * The order of the steps is the whole security argument, so it stands at the top of `refresh`:
 *
 *   verify (signature, type, claims) → binding (S3) → re-read the user and claims → spend
 *   (revocation, the family's chain, the session touch: one store call) → sign the next place
 *
 * Every refresh token has a place in its session's chain (claim `gen`: the login's is 0). A
 * rotation of place `n` mints place `n + 1` — and so does a retry of `n` inside the grace window
 * (`reuseGrace`, at most {@link GRACE_RETRIES} retries): a retry re-mints the SAME place, so a
 * client that lost an answer and a thief replaying inside the window both hold copies of one
 * refresh token, and whichever spends it second, after the window, trips reuse detection. Any
 * other return of a spent place revokes the whole family.
 *
 * Nothing that can fail for a reason of the server's own (the user lookup, `claimsFor`) runs after
 * the token is spent, so such a failure leaves it unspent and the client's retry works.
 */
import type { SpendVerdict } from '../stores/types.js'
import { resolveUser } from './authenticate.js'
import { type AuthCore, withRealm } from './context.js'
import type { Presented } from './credentials/binding.js'
import { type CheckedProof, requireBinding, spendProof } from './dpop.js'
import { AuthError, callback, isAuthError, storeCall } from './errors.js'
import { customClaims, issueAt, signAccess, signPair } from './issue.js'
import { checkSubject, RESERVED_CLAIMS, type RegisteredClaims } from './jws/claims.js'
import { issueInstant } from './jws/tokens.js'
import { expiryOf, revokeFamily, touchSession } from './sessions.js'
import type { AccessClaims, RefreshOptions, StepUpOptions, StepUpTokens, TokenPair } from './types/index.js'
import { checkRevoked, verifyStateless } from './verify.js'

type RefreshClaims = Record<string, unknown> & RegisteredClaims & { fid: string }

/** Presentations of one spent place accepted within the grace window, after the first. */
export const GRACE_RETRIES = 2

/** The place of a refresh token in its chain; `undefined` for one issued before places existed. */
function generationOf(claims: RefreshClaims): number | undefined {
  const { gen } = claims
  return typeof gen === 'number' && Number.isSafeInteger(gen) && gen >= 0 ? gen : undefined
}

/** What the session record moves to when a rotation at `at` issues a pair (sessions.ts). */
function touchFor(core: AuthCore, at: number) {
  const { accessTtl, refreshTtl } = core.settings
  return { lastUsedAt: at, expiresAt: expiryOf(core, at, Math.max(accessTtl, refreshTtl)) }
}

/** Added to a place's presentation count by the presentation that spent it: "spent in this window". */
const SPENT_HERE = 1_000_000
/** How long a later presentation waits for its window's first one to spend the place, ms. */
const FIRST_WAIT_MS = 1000

/**
 * The spend, without a store of the one-call kind: the revocation check, the presentation count
 * (its window starts at the first presentation), the first-use mark — one mark per place. The
 * FIRST presentation of a window alone may spend the place: it rotates when the place was unspent,
 * and is reuse when it was spent before — by then the window's other presentations can no longer
 * tell a concurrent first presentation from a replay of a long-spent place. So the first, having
 * spent it, adds {@link SPENT_HERE} to the count, and a later presentation is a retry only once it
 * sees that mark (it waits for it a moment): two parallel replays of a place spent long ago both
 * end as reuse. A retry is refused once the NEXT place has been presented (its count lives for the
 * window too): the chain has moved on, as `spendRefresh` decides from the family's highest spent
 * place. A first presentation whose consume failed marks too (its answer may be what was lost),
 * and a retry spends the place before it mints. The first-use mark lives as long as the token
 * verifies (`exp` + the clock tolerance).
 */
async function composedSpend(
  core: AuthCore,
  claims: RefreshClaims,
  place: string,
  next: string | undefined,
): Promise<SpendVerdict> {
  const { store, settings } = core
  const { sub, exp } = claims
  // Revoked: token_revoked, thrown at once by an in-process store, or by a networked one's answer.
  const pending = checkRevoked(core, claims, '', 'refresh')
  if (pending !== undefined) await pending
  const grace = settings.reuseGrace
  const markUntil = exp + settings.tolerance
  if (grace <= 0) return (await storeCall(() => store.consume(place, markUntil, sub))) ? 'rotate' : 'reused'
  const key = `refresh:${place}`
  const count = await storeCall(() => store.hit(key, grace, 1))
  const rank = count % SPENT_HERE
  // The presentations' ranks (1, 2, 3 …) decide, as one atomic step would: at most 1 + retries pass.
  if (rank > 1 + GRACE_RETRIES) return 'reused'
  const mark = () => storeCall(() => store.hit(key, grace, SPENT_HERE))
  if (rank === 1) {
    let first: boolean
    try {
      first = await storeCall(() => store.consume(place, markUntil, sub))
    } catch (err) {
      // A consume whose answer was lost may still have spent the place: mark it, so the client's
      // retry is a retry (best effort: the answer is this failure either way).
      await mark().catch(() => {})
      throw err
    }
    if (!first) return 'reused'
    await mark()
    return 'rotate'
  }
  if (!(await spentInWindow(core, key, grace, count))) return 'reused'
  // Spent for sure before the retry mints: a first consume that failed without running leaves no
  // unspent place behind for a later presentation to rotate.
  await storeCall(() => store.consume(place, markUntil, sub))
  const nextKey = `refresh:${next}`
  if (next !== undefined && (await storeCall(() => store.hit(nextKey, grace, 0))) > 0) return 'reused'
  return 'retry'
}

/**
 * Whether the first presentation of this window spent the place: its mark is in `count`, or
 * arrives within {@link FIRST_WAIT_MS} (read again after 5, 10, 20 … ms). No mark: the first found
 * the place spent before (it revokes the family) or failed — either way no retry.
 */
async function spentInWindow(core: AuthCore, key: string, grace: number, count: number): Promise<boolean> {
  const deadline = performance.now() + FIRST_WAIT_MS
  for (let c = count, pause = 5; c < SPENT_HERE; pause *= 2) {
    const left = deadline - performance.now()
    if (left <= 0) return false
    await new Promise((resolve) => setTimeout(resolve, Math.min(pause, left)))
    c = await storeCall(() => core.store.hit(key, grace, 0))
  }
  return true
}

/** One presentation of a verified refresh token: `rotate`, `retry`, `reused` or `revoked` (S1, S2). */
async function spend(core: AuthCore, claims: RefreshClaims, at: number): Promise<SpendVerdict> {
  const { store, settings } = core
  const gen = generationOf(claims)
  // A token from before places existed spends its own id, as it always did.
  if (gen === undefined) return composedSpend(core, claims, claims.jti, `${claims.fid}.1`)
  if (!store.spendRefresh)
    return composedSpend(core, claims, `${claims.fid}.${gen}`, `${claims.fid}.${gen + 1}`)
  const ids = [claims.jti, claims.fid]
  return storeCall(() =>
    store.spendRefresh!({
      family: claims.fid,
      generation: gen,
      subject: claims.sub,
      ids,
      issuedAt: issueInstant(claims.iat, claims.jti),
      // The state outlives every token it spends, as long as each verifies (exp + tolerance).
      expiresAt: Math.floor(at) + settings.refreshTtl + settings.tolerance,
      now: core.now(),
      graceSeconds: settings.reuseGrace,
      graceRetries: GRACE_RETRIES,
      touch: touchFor(core, at),
    }),
  )
}

/**
 * Rotates a verified refresh token: THE place where a presented refresh token may become the next
 * one (S1) — `refresh`, step-up and every route reach it. A spent place that may not come back
 * revokes the family (`refresh_token_reused`); a revoked one is `token_revoked`. The next token
 * takes the place after the presented one, whether this is the first presentation or a retry.
 */
export async function rotate(
  core: AuthCore,
  claims: RefreshClaims,
  custom: Record<string, unknown>,
  proof?: CheckedProof | undefined,
): Promise<TokenPair> {
  const { sub, fid } = claims
  const at = issueAt(core)
  const verdict = await spend(core, claims, at)
  if (verdict === 'revoked') throw new AuthError('token_revoked', 'the token has been revoked')
  if (verdict === 'reused') {
    await revokeFamily(core, fid, sub)
    core.emit({ type: 'refresh_reused', sub, fid })
    throw new AuthError(
      'refresh_token_reused',
      'the refresh token was already used; its session has been revoked',
    )
  }
  // The request's DPoP proof is recorded only now that its refresh token passed, revocation
  // included: a request that fails before leaves nothing in the store.
  if (proof) await spendProof(core, proof)
  const pair = await signPair(core, sub, custom, fid, (generationOf(claims) ?? 0) + 1)
  // A store that spends in one call moved the record on in the same call.
  if (!core.store.spendRefresh || generationOf(claims) === undefined)
    await touchSession(core, sub, fid, at, pair)
  core.emit({ type: 'token_refreshed', sub, fid })
  return pair
}

/**
 * S2: may this verified refresh token still rotate? Not when its place is spent (the store's
 * `spentGeneration`); a store that cannot tell, or a token from before places existed, answers
 * "no" — introspection then calls it inactive rather than guess (fail closed).
 */
export async function refreshIsLive(core: AuthCore, claims: RefreshClaims): Promise<boolean> {
  if (!core.settings.rotateRefreshTokens) return true
  const gen = generationOf(claims)
  const { store } = core
  if (gen === undefined || !store.spentGeneration) return false
  const spent = await storeCall(() => store.spentGeneration!(claims.fid, claims.sub))
  return spent === null || spent < gen
}

/**
 * Claims that belong to the session, not to the user, so a refresh carries them over whatever
 * `claimsFor` says: when the user last proved who they are (RFC 9068 `auth_time`), the client the
 * session was issued to (`client_id`), and the key it is bound to (RFC 9449 `cnf`).
 */
const SESSION_CLAIMS = ['auth_time', 'client_id', 'cnf'] as const

/** Claims of the next tokens: re-read through `resolveUser` and `claimsFor` so role changes apply. */
async function nextClaims(
  core: AuthCore,
  claims: RefreshClaims,
  claimsFor: RefreshOptions<object, unknown>['claimsFor'],
): Promise<Record<string, unknown>> {
  const custom = await userClaims(core, claims, claimsFor)
  for (const name of SESSION_CLAIMS) if (claims[name] !== undefined) custom[name] = claims[name]
  return custom
}

async function userClaims(
  core: AuthCore,
  claims: RefreshClaims,
  claimsFor: RefreshOptions<object, unknown>['claimsFor'],
): Promise<Record<string, unknown>> {
  if (!core.options.resolveUser && !claimsFor) return customClaims(claims)
  let user: unknown
  try {
    user = await resolveUser(core, claims as unknown as AccessClaims<object>)
  } catch (err) {
    // A deleted or deactivated user: the session ends with them.
    if (isAuthError(err) && err.code === 'user_not_found') await revokeFamily(core, claims.fid, claims.sub)
    throw err
  }
  if (!claimsFor) return customClaims(claims)
  return customClaims(
    (await callback(core.emit, 'claimsFor', () => claimsFor(user))) as Record<string, unknown>,
  )
}

/** `rotateRefreshTokens: false`: a new access token, the same refresh token (still revocable). */
async function keep(
  core: AuthCore,
  token: string,
  claims: RefreshClaims,
  custom: Record<string, unknown>,
  proof: CheckedProof | undefined,
) {
  await checkRevoked(core, claims, token, 'refresh')
  if (proof) await spendProof(core, proof)
  const accessToken = await signAccess(core, claims.sub, custom, claims.fid)
  const remaining = Math.max(0, Math.floor(claims.exp - core.now() / 1000))
  const pair: TokenPair = {
    accessToken,
    refreshToken: token,
    tokenType: custom.cnf === undefined ? 'Bearer' : 'DPoP',
    expiresIn: core.settings.accessTtl,
    refreshExpiresIn: remaining,
    sessionId: claims.fid,
  }
  await touchSession(core, claims.sub, claims.fid, issueAt(core), pair)
  core.emit({ type: 'token_refreshed', sub: claims.sub, fid: claims.fid })
  return pair
}

/** A refresh token's verified claims: signature, type and claims (revocation is the spend's). */
export async function refreshClaims(core: AuthCore, token: string): Promise<RefreshClaims> {
  return (await verifyStateless(core, token, 'refresh')) as RefreshClaims
}

/**
 * `auth.refresh` and the refresh routes. `presented` is what the request proved (S3): the DPoP
 * proof's key, the authenticated client.
 */
export async function refresh(
  core: AuthCore,
  token: string,
  options?: RefreshOptions<object, unknown> & { presented?: Presented; proof?: CheckedProof | undefined },
): Promise<TokenPair> {
  try {
    const claims = await refreshClaims(core, token)
    const presented = options?.presented ?? { jkt: options?.jkt, client: options?.client }
    // S3, before anything is spent: a thief without the key or the client secret changes nothing.
    const jkt = requireBinding(core, claims, presented)
    const custom = await nextClaims(core, claims, options?.claimsFor ?? core.options.claimsFor)
    if (jkt !== undefined) custom.cnf = { jkt }
    if (!core.settings.rotateRefreshTokens) return await keep(core, token, claims, custom, options?.proof)
    return await rotate(core, claims, custom, options?.proof)
  } catch (err) {
    throw withRealm(core, err)
  }
}

// --- step-up ----------------------------------------------------------------------------------------

/**
 * `auth.stepUp`: the user has just proved who they are again (e.g. the password). The session (its
 * family `fid`) gets `auth_time` now, so `authorize(ctx, { maxAge })` passes — without a second
 * live refresh token (S1):
 *
 * - with the session's refresh token (`options.refreshToken`): it is rotated exactly as a refresh
 *   would (refresh.ts `rotate`: its binding checked, its place spent), and the new pair carries
 *   the new `auth_time` across later refreshes;
 * - without it (or with `rotateRefreshTokens: false`): a fresh ACCESS token only; the refresh token
 *   the client holds stays the session's one, with the session's earlier `auth_time`.
 */
export async function stepUp(
  core: AuthCore,
  verified: { sub: string; fid?: unknown; [claim: string]: unknown },
  input?: Record<string, unknown>,
  options?: StepUpOptions,
): Promise<StepUpTokens> {
  const sub = checkSubject(verified.sub, 'stepUp')
  const fid = verified.fid
  if (typeof fid !== 'string' || fid.length === 0)
    throw new TypeError(
      'tokenward: stepUp needs the claims of a verified access token of a session (with `fid`)',
    )
  for (const name of Object.keys(input ?? {})) {
    if (RESERVED_CLAIMS.has(name)) throw new TypeError(`tokenward: claim \`${name}\` is set by tokenward`)
  }
  // The user's claims as the caller gives them (fresh from claimsFor), else the session's own.
  const custom = customClaims(input ?? verified)
  custom.auth_time = Math.floor(core.now() / 1000)
  // Claims of the session, not the user: the client it was issued to, the key it is bound to.
  for (const name of ['client_id', 'cnf'] as const)
    if (verified[name] !== undefined) custom[name] = verified[name]
  if (custom.client_id === undefined && core.settings.clientId !== undefined)
    custom.client_id = core.settings.clientId
  const refreshToken = options?.refreshToken
  if (refreshToken !== undefined && core.settings.rotateRefreshTokens) {
    try {
      return await stepUpRotation(core, { sub, fid }, refreshToken, custom, options)
    } catch (err) {
      throw withRealm(core, err)
    }
  }
  const at = issueAt(core)
  const accessToken = await signAccess(core, sub, custom, fid)
  const issued = {
    accessToken,
    tokenType: custom.cnf === undefined ? ('Bearer' as const) : ('DPoP' as const),
    expiresIn: core.settings.accessTtl,
    sessionId: fid,
  }
  await touchSession(core, sub, fid, at, issued)
  core.emit({ type: 'tokens_issued', sub, fid })
  return issued
}

/** Step-up with the session's refresh token: the same rotation as a refresh (S1, S3). */
async function stepUpRotation(
  core: AuthCore,
  session: { sub: string; fid: string },
  refreshToken: string,
  custom: Record<string, unknown>,
  options: StepUpOptions | undefined,
): Promise<TokenPair> {
  const claims = await refreshClaims(core, refreshToken)
  if (claims.sub !== session.sub || claims.fid !== session.fid)
    throw new AuthError('invalid_request', 'the refresh token belongs to another session')
  const jkt = requireBinding(core, claims, { jkt: options?.jkt, client: options?.client })
  if (jkt !== undefined) custom.cnf = { jkt }
  if (claims.client_id !== undefined) custom.client_id = claims.client_id
  return rotate(core, claims, custom)
}
