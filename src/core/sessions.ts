/**
 * Sessions (devices). Every token family is a session — one login and every refresh after it —
 * and, with a store that keeps session records ({@link SessionStore}), it has a record: when it
 * began, when it was last refreshed, when it ends, and the user agent and network of the login.
 * The record is what a user sees in a "signed-in devices" list; the family revocation is what
 * signs a device out. So the two are kept in this order:
 *
 *   login    sign → save the record, ending the user's oldest sessions past `maxSessionsPerUser`
 *            (revoked first, in the same store step) — a record that cannot be saved fails the
 *            login (503)
 *   refresh  sign → touch the record (best effort: a warning, never a failed refresh)
 *   end      revoke the family (fail closed: 503) → forget the record (best effort)
 *   list     a page of the records, newest first → drop those whose family is revoked or cut off
 *
 * Bounds (docs/security.md, resource bounds): a user holds at most `maxSessionsPerUser` sessions,
 * and an account whose own logins end more than that many of its sessions in a day must wait
 * (429) — every ended session leaves a revocation in the store until its tokens expire, so one
 * account signing in without end cannot fill it. Listing, ownership checks and ending one session
 * cost a page or O(log n) of the user's records, never all of them.
 *
 * Why a failed save fails the login: "sign out other devices" can only end the sessions it has a
 * record of, so a session without one would survive it. A store that cannot save a record cannot
 * check a revocation either (every request asks it), so the login loses nothing it could have used.
 */
import type { SessionPage, SessionRecord, SessionStore, TokenStore } from '../stores/types.js'
import { type AuthCore, withRealm } from './context.js'
import { AuthError, storeCall } from './errors.js'
import { checkSubject } from './jws/claims.js'
import { addressNetwork } from './lib/address.js'
import { DEFAULT_SESSION_PAGE, SESSION_EVICTION_WINDOW } from './lib/constants.js'
import { afterOf, compareIds, cursorOf, newestFirst, sessionView, userAgentOf } from './lib/records.js'
import { missingSessionMethods } from './lib/store-methods.js'
import type { IssueOptions, Session, SessionPageOptions, SessionsPage, TokenPair } from './types/index.js'

// --- the store's session methods -------------------------------------------------------------------

/** The store as a {@link SessionStore}, or a `TypeError` naming what it lacks and for which call. */
function sessionStore(core: AuthCore, call: string): TokenStore & SessionStore {
  const missing = missingSessionMethods(core.store)
  if (missing.length > 0)
    throw new TypeError(
      `tokenward: ${call} needs a token store that keeps session records, and this one lacks ` +
        `${missing.join(', ')}. memoryStore() and redisStore() keep them; a store of your own ` +
        'implements all four (docs/custom-store.md, docs/sessions.md).',
    )
  return core.store as TokenStore & SessionStore
}

/** True when the store keeps session records. */
function keepsSessions(store: TokenStore): store is TokenStore & SessionStore {
  return missingSessionMethods(store).length === 0
}

// Each best-effort failure is reported once per Auth (a `warning` event), not once per request.
const warned = new WeakMap<AuthCore, Set<string>>()
function warnOnce(core: AuthCore, cause: string, message: string, err: unknown): void {
  const seen = warned.get(core) ?? new Set<string>()
  warned.set(core, seen)
  if (seen.has(cause)) return
  seen.add(cause)
  const reason = err instanceof Error ? err.message : String(err)
  core.emit({ type: 'warning', message: `${message} (reported once): ${reason}` })
}

// --- what a record keeps ------------------------------------------------------------------------------

function sessionIdOf(id: unknown, call: string, name: string): string {
  if (typeof id !== 'string') throw new TypeError(`tokenward: ${call} needs \`${name}\` as a string`)
  return id
}

/**
 * What a record keeps of the login's address (`sessionAddress`): its network by default — IPv4
 * /24, IPv6 /64 (a home's or a phone's network, not a device) — the address, or nothing. Anything
 * that is not an address (`unknown`, an obfuscated `Forwarded` identifier) is `null`.
 */
function addressOf(core: AuthCore, value: unknown): string | null {
  const mode = core.settings.sessionAddress
  if (mode === 'none' || typeof value !== 'string') return null
  return addressNetwork(value, mode === 'full') ?? null
}

/** When no token of a session that issued tokens living `lifetime` seconds at `at` (epoch s) is accepted any more. */
export function expiryOf(core: AuthCore, at: number, lifetime: number): number {
  return Math.ceil(Math.floor(at) + lifetime + core.settings.tolerance)
}

/** The lifetimes of what an issue handed out (a pair, or an access token alone), seconds. */
export type Issued = Pick<TokenPair, 'expiresIn'> & { refreshExpiresIn?: number | undefined }

/** The longest lifetime of the tokens issued, seconds. */
const lifetimeOf = (issued: Issued) => Math.max(issued.expiresIn, issued.refreshExpiresIn ?? 0)

function checkIssueOptions(options: IssueOptions | undefined): IssueOptions {
  if (options === undefined) return {}
  if (typeof options !== 'object' || options === null)
    throw new TypeError('tokenward: the second argument of issueTokens must be { userAgent?, address? }')
  return options
}

// --- login, refresh, end ---------------------------------------------------------------------------

/**
 * Saves the record of session `fid`, just issued at `at` (epoch s, at or after its tokens' issue
 * instant). A store without session records keeps none; a store that fails fails the login.
 */
export async function recordSession(
  core: AuthCore,
  sub: string,
  fid: string,
  at: number,
  pair: TokenPair,
  options: IssueOptions | undefined,
): Promise<void> {
  const { userAgent, address } = checkIssueOptions(options)
  const { store } = core
  if (!keepsSessions(store)) return
  const record: SessionRecord = {
    id: fid,
    subject: sub,
    createdAt: at,
    lastUsedAt: at,
    expiresAt: expiryOf(core, at, lifetimeOf(pair)),
    userAgent: userAgentOf(userAgent),
    address: addressOf(core, address),
  }
  try {
    const max = core.settings.maxSessionsPerUser
    if (max === 0) {
      await storeCall(() => store.saveSession(record))
      return
    }
    const ended = await storeCall(() => store.saveSession(record, { maxPerSubject: max }))
    const ids = Array.isArray(ended) ? ended : await endOldest(core, store, sub, max, fid)
    if (ids.length === 0) return
    // The count only slows an account down; a failure to count must not fail the login.
    await core.store.hit(evictionKey(sub), SESSION_EVICTION_WINDOW, ids.length).catch(() => 0)
    for (const id of ids) core.emit({ type: 'session_revoked', sub, fid: id })
  } catch (err) {
    throw withRealm(core, err)
  }
}

const evictionKey = (sub: string) => `sessions:ended:${sub}`

/**
 * Before a login keeps anything (its DPoP proof, its tokens, its record): an account whose own
 * logins ended `maxSessionsPerUser` of its sessions within a day waits (429) — each ended session
 * leaves a revocation in the store until its tokens expire, so this bounds what one account can
 * make the store keep. A read only: it creates nothing. Nothing to check without records or a cap.
 */
export async function admitLogin(core: AuthCore, sub: string): Promise<void> {
  if (core.settings.maxSessionsPerUser === 0 || !keepsSessions(core.store)) return
  const ended = await storeCall(() => core.store.hit(evictionKey(sub), SESSION_EVICTION_WINDOW, 0))
  if (ended < core.settings.maxSessionsPerUser) return
  core.emit({
    type: 'rate_limited',
    username: sub,
    address: 'unknown',
    reason: 'too many sessions ended by new logins',
  })
  throw new AuthError('rate_limited', 'this account has signed in too often today; try again later', {
    retryAfter: SESSION_EVICTION_WINDOW,
  })
}

/**
 * The cap, for a store whose `saveSession` does not apply it: the oldest records past `max` end
 * one by one (revoked, then forgotten) — not atomic, so logins racing each other may pass the cap
 * by a few until the next login.
 */
async function endOldest(
  core: AuthCore,
  store: TokenStore & SessionStore,
  sub: string,
  max: number,
  kept: string,
): Promise<string[]> {
  const records = (await storeCall(() => store.listSessions(sub)))
    .filter((r) => r.subject === sub && r.id !== kept)
    .sort((a, b) => a.createdAt - b.createdAt || compareIds(a.id, b.id))
  const over = records.slice(0, Math.max(0, records.length + 1 - max)).map((r) => r.id)
  for (const id of over) await revokeFamily(core, id, sub)
  return over
}

/**
 * A refresh of session `fid` issued `pair` at `at`: the record's `lastUsedAt` and expiry move on.
 * Best effort: the timestamps are for display, so a store that fails here is reported (a
 * `warning` event, once) and the refresh goes ahead.
 */
export async function touchSession(
  core: AuthCore,
  sub: string,
  fid: string,
  at: number,
  pair: Issued,
): Promise<void> {
  const { store } = core
  if (!keepsSessions(store)) return
  try {
    await store.touchSession(sub, fid, at, expiryOf(core, at, lifetimeOf(pair)))
  } catch (err) {
    warnOnce(
      core,
      'touch',
      'tokenward: a session record could not be updated on refresh; lastUsedAt may lag',
      err,
    )
  }
}

/**
 * Ends session `fid`: revokes the whole family for as long as any of its tokens could live (fail
 * closed: a store failure is `store_unavailable`), then forgets its record. The record goes on a
 * best-effort basis — the revocation is what counts, and a record of a revoked family is never
 * listed anyway.
 */
export async function revokeFamily(core: AuthCore, fid: string, sub: string): Promise<void> {
  const until = core.now() / 1000 + core.settings.familyLifetime
  await storeCall(() => core.store.revoke(fid, until, sub))
  const { store } = core
  if (!keepsSessions(store)) return
  try {
    await store.deleteSession(sub, fid)
  } catch (err) {
    warnOnce(core, 'forget', 'tokenward: the record of a revoked session could not be deleted', err)
  }
}

// --- auth.listSessions, revokeSession, revokeOtherSessions ------------------------------------------------

/**
 * One page of the subject's records whose sessions can still be used: not expired, family not
 * revoked, and issued after the subject's cutoff ("log out everywhere"). The store pages them
 * (O(log n + limit)); a store that lists everything is paged here. One revocation check per
 * record on the page, side by side — a record whose revocation went through but whose delete did
 * not is never shown.
 */
async function livePage(core: AuthCore, store: TokenStore & SessionStore, sub: string, page: SessionPage) {
  const now = core.now() / 1000
  const after = page.after
  // The page in the store's order (a store that lists everything is paged here): its last record
  // is where the next page starts, whether or not it is still live.
  const paged = (await storeCall(() => store.listSessions(sub, page)))
    .filter((r) => r.subject === sub && (after === undefined || newestFirst(r, after) > 0))
    .sort(newestFirst)
    .slice(0, page.limit)
  const listed = paged.filter((r) => r.expiresAt > now)
  const revoked = await Promise.all(
    listed.map((r) =>
      storeCall(async () => store.isRevoked([r.id], { subject: sub, issuedAt: r.lastUsedAt })),
    ),
  )
  const next = paged.length === page.limit ? cursorOf(paged[paged.length - 1]!) : undefined
  return { records: listed.filter((_, i) => !revoked[i]), next }
}

/** The largest page: the cap, or 1000 without one. */
const maxPage = (core: AuthCore) => core.settings.maxSessionsPerUser || 1000

/**
 * `auth.listSessionsPage`: a page of the live sessions of `sub`, newest login first, and the
 * cursor of the next page (`undefined` on the last). `current`: the `fid` of the caller's access
 * token, marked `current`.
 */
export async function listSessionsPage(
  core: AuthCore,
  sub: string,
  options: SessionPageOptions = {},
): Promise<SessionsPage> {
  checkSubject(sub, 'listSessionsPage')
  const { current, cursor } = options
  if (current !== undefined) sessionIdOf(current, 'listSessionsPage', 'current')
  const limit = options.limit ?? Math.min(DEFAULT_SESSION_PAGE, maxPage(core))
  if (!Number.isInteger(limit) || limit < 1 || limit > maxPage(core))
    throw new AuthError('invalid_request', `the page size must be an integer from 1 to ${maxPage(core)}`)
  const store = sessionStore(core, 'listSessionsPage')
  try {
    const { records, next } = await livePage(core, store, sub, { limit, after: afterOf(cursor) })
    return { sessions: records.map((r) => sessionView(r, current)), nextCursor: next }
  } catch (err) {
    throw withRealm(core, err)
  }
}

/**
 * `auth.listSessions`: the live sessions of `sub`, newest login first — every one the cap allows
 * (`maxSessionsPerUser`; 1000 at most without a cap). With `currentSessionId` (the `fid` claim
 * of the caller's access token), each carries `current`.
 */
export async function listSessions(
  core: AuthCore,
  sub: string,
  currentSessionId?: string,
): Promise<Session[]> {
  const page = await listSessionsPage(core, sub, { current: currentSessionId, limit: maxPage(core) })
  return page.sessions
}

/** The subject's live record `id`: O(log n) with `getSession`, a listing otherwise. */
async function recordOf(store: TokenStore & SessionStore, sub: string, id: string) {
  if (store.getSession) return storeCall(() => store.getSession!(sub, id))
  const records = await storeCall(() => store.listSessions(sub))
  return records.find((r) => r.id === id && r.subject === sub) ?? null
}

/**
 * `auth.revokeSession`: ends session `sessionId` of `sub` — only if it is one of `sub`'s: the
 * record, kept under the subject, is the proof of ownership. Another user's session id, an
 * expired or an unknown one is `session_not_found` and nothing is revoked.
 */
export async function revokeSession(core: AuthCore, sub: string, sessionId: string): Promise<void> {
  checkSubject(sub, 'revokeSession')
  sessionIdOf(sessionId, 'revokeSession', 'sessionId')
  const store = sessionStore(core, 'revokeSession')
  try {
    const record = await recordOf(store, sub, sessionId)
    if (!record || record.subject !== sub || record.expiresAt <= core.now() / 1000)
      throw new AuthError('session_not_found', 'no such session')
    await revokeFamily(core, sessionId, sub)
  } catch (err) {
    throw withRealm(core, err)
  }
  core.emit({ type: 'session_revoked', sub, fid: sessionId })
}

/**
 * `auth.revokeOtherSessions`: ends every recorded session of `sub` except `currentSessionId`, side
 * by side. If any revocation fails, the call fails (`store_unavailable`) after trying them all —
 * the caller must not report "signed out everywhere else" while a device may still be signed in.
 * Returns the ids of the sessions ended.
 */
export async function revokeOtherSessions(
  core: AuthCore,
  sub: string,
  currentSessionId: string,
): Promise<string[]> {
  checkSubject(sub, 'revokeOtherSessions')
  sessionIdOf(currentSessionId, 'revokeOtherSessions', 'currentSessionId')
  const store = sessionStore(core, 'revokeOtherSessions')
  try {
    const records = await storeCall(() => store.listSessions(sub))
    const others = [
      ...new Set(records.filter((r) => r.subject === sub && r.id !== currentSessionId).map((r) => r.id)),
    ]
    const results = await Promise.allSettled(others.map((id) => revokeFamily(core, id, sub)))
    const ended = others.filter((_, i) => results[i]!.status === 'fulfilled')
    for (const fid of ended) core.emit({ type: 'session_revoked', sub, fid })
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected')
    if (failed) throw failed.reason
    return ended
  } catch (err) {
    throw withRealm(core, err)
  }
}

/**
 * After `revokeSubject` cut every session of `sub` off: forget their records (best effort — a
 * record of a cut-off session is never listed; `deleteSessions`, or one delete per record).
 */
export async function forgetSessions(core: AuthCore, sub: string): Promise<void> {
  const { store } = core
  if (!keepsSessions(store)) return
  try {
    if (store.deleteSessions) await store.deleteSessions(sub)
    else for (const r of await store.listSessions(sub)) await store.deleteSession(sub, r.id)
  } catch (err) {
    warnOnce(
      core,
      'forget-all',
      'tokenward: the records of a user signed out everywhere could not be deleted',
      err,
    )
  }
}
