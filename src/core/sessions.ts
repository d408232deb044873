/**
 * Sessions (devices). Every token family is a session — one login and every refresh after it —
 * and, with a store that keeps session records ({@link SessionStore}), it has a record: when it
 * began, when it was last refreshed, when it ends, and the user agent and network of the login.
 * The record is what a user sees in a "signed-in devices" list; the family revocation is what
 * signs a device out. So the two are kept in this order:
 *
 *   login    sign → save the record — a record that cannot be saved fails the login (503)
 *   refresh  sign → touch the record (best effort: a warning, never a failed refresh)
 *   end      revoke the family (fail closed: 503) → forget the record (best effort)
 *   list     the records → drop those whose family is revoked or cut off → newest first
 *
 * Why a failed save fails the login: "sign out other devices" can only end the sessions it has a
 * record of, so a session without one would survive it. A store that cannot save a record cannot
 * check a revocation either (every request asks it), so the login loses nothing it could have used.
 */
import {
  SESSION_STORE_METHODS,
  type SessionRecord,
  type SessionStore,
  type TokenStore,
} from '../stores/types.js'
import { type AuthCore, storeCall, withRealm } from './context.js'
import { AuthError } from './errors.js'
import { addressPrefix } from './lib/address.js'
import type { IssueOptions, Session, TokenPair } from './types/index.js'

/** The longest `User-Agent` a record keeps (longer ones are cut). */
export const MAX_USER_AGENT_LENGTH = 512

// --- the store's session methods -------------------------------------------------------------------

/** The session methods `store` lacks (all four for a store that keeps no records). */
export function missingSessionMethods(store: TokenStore): string[] {
  return SESSION_STORE_METHODS.filter(
    (name) => typeof (store as unknown as Record<string, unknown>)[name] !== 'function',
  )
}

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

function subjectOf(sub: unknown, call: string): string {
  if (typeof sub !== 'string' || sub.length === 0)
    throw new TypeError(`tokenward: ${call} needs a non-empty string subject`)
  return sub
}

function sessionIdOf(id: unknown, call: string, name: string): string {
  if (typeof id !== 'string') throw new TypeError(`tokenward: ${call} needs \`${name}\` as a string`)
  return id
}

/** Control characters removed, cut to {@link MAX_USER_AGENT_LENGTH}; `null` when nothing is left. */
function userAgentOf(value: unknown): string | null {
  if (typeof value !== 'string') return null
  // biome-ignore lint/suspicious/noControlCharactersInRegex: removing them is the point
  const clean = value.replace(/[\u0000-\u001f\u007f]/g, '').trim()
  return clean.length > 0 ? clean.slice(0, MAX_USER_AGENT_LENGTH) : null
}

const IPV4 = /^\d{1,3}(?:\.\d{1,3}){3}$/
const IPV6_64 = /^[0-9a-f]{1,4}(?::[0-9a-f]{1,4}){3}::\/64$/

/**
 * The network of the login: IPv4 as is, IPv6 as its /64 only (privacy: the /64 names a home or a
 * phone's network, not a device). Anything that is not an address (`unknown`, an obfuscated
 * `Forwarded` identifier) is `null`.
 */
function addressOf(value: unknown): string | null {
  if (typeof value !== 'string') return null
  const reduced = addressPrefix(value)
  return reduced !== undefined && (IPV4.test(reduced) || IPV6_64.test(reduced)) ? reduced : null
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
    address: addressOf(address),
  }
  try {
    await storeCall(() => store.saveSession(record))
  } catch (err) {
    throw withRealm(core, err)
  }
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
 * The subject's records whose sessions can still be used: not expired, family not revoked, and
 * issued after the subject's cutoff ("log out everywhere"). One revocation check per record, the
 * same one-round-trip check a request makes; they run side by side.
 */
async function liveRecords(core: AuthCore, store: TokenStore & SessionStore, sub: string) {
  const now = core.now() / 1000
  const records = (await storeCall(() => store.listSessions(sub))).filter(
    (r) => r.subject === sub && r.expiresAt > now,
  )
  const revoked = await Promise.all(
    records.map((r) =>
      storeCall(async () => store.isRevoked([r.id], { subject: sub, issuedAt: r.lastUsedAt })),
    ),
  )
  return records.filter((_, i) => !revoked[i])
}

function view(record: SessionRecord, currentSessionId: string | undefined): Session {
  const session: Session = {
    id: record.id,
    createdAt: Math.floor(record.createdAt),
    lastUsedAt: Math.floor(record.lastUsedAt),
    expiresAt: Math.floor(record.expiresAt),
    userAgent: record.userAgent ?? null,
    address: record.address ?? null,
  }
  if (currentSessionId !== undefined) session.current = record.id === currentSessionId
  return session
}

/**
 * `auth.listSessions`: the live sessions of `sub`, newest login first. With `currentSessionId`
 * (the `fid` claim of the caller's access token), each carries `current`.
 */
export async function listSessions(
  core: AuthCore,
  sub: string,
  currentSessionId?: string,
): Promise<Session[]> {
  subjectOf(sub, 'listSessions')
  if (currentSessionId !== undefined) sessionIdOf(currentSessionId, 'listSessions', 'currentSessionId')
  const store = sessionStore(core, 'listSessions')
  try {
    const records = await liveRecords(core, store, sub)
    records.sort((a, b) => b.createdAt - a.createdAt || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
    return records.map((r) => view(r, currentSessionId))
  } catch (err) {
    throw withRealm(core, err)
  }
}

/**
 * `auth.revokeSession`: ends session `sessionId` of `sub` — only if it is one of `sub`'s: the
 * record, kept under the subject, is the proof of ownership. Another user's session id, an
 * expired or an unknown one is `session_not_found` and nothing is revoked.
 */
export async function revokeSession(core: AuthCore, sub: string, sessionId: string): Promise<void> {
  subjectOf(sub, 'revokeSession')
  sessionIdOf(sessionId, 'revokeSession', 'sessionId')
  const store = sessionStore(core, 'revokeSession')
  try {
    const records = await storeCall(() => store.listSessions(sub))
    if (!records.some((r) => r.id === sessionId && r.subject === sub))
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
  subjectOf(sub, 'revokeOtherSessions')
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
