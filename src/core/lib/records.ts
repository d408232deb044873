/**
 * Session records as the core keeps and shows them: what a record keeps of the login's user agent,
 * the order of a listing (newest login first) and its page cursors, and a record as `listSessions`
 * shows it. Pure functions over the store's record type.
 */
import type { SessionPage, SessionRecord } from '../../stores/types.js'
import { AuthError } from '../errors.js'
import type { Session } from '../types/index.js'
import { decodeBase64urlText, encodeBase64url } from './encoding.js'

/** The longest `User-Agent` a record keeps (longer ones are cut). */
export const MAX_USER_AGENT_LENGTH = 512

/** Control characters removed, cut to {@link MAX_USER_AGENT_LENGTH}; `null` when nothing is left. */
export function userAgentOf(value: unknown): string | null {
  if (typeof value !== 'string') return null
  // biome-ignore lint/suspicious/noControlCharactersInRegex: removing them is the point
  const clean = value.replace(/[\u0000-\u001f\u007f]/g, '').trim()
  return clean.length > 0 ? clean.slice(0, MAX_USER_AGENT_LENGTH) : null
}

/** Ids in code-unit order (a stable tie-break). */
export const compareIds = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0)

/** Newest login first, then by id: the order of pages. */
type Place = Pick<SessionRecord, 'createdAt' | 'id'>
export const newestFirst = (a: Place, b: Place) => b.createdAt - a.createdAt || compareIds(a.id, b.id)

/** A page cursor: where the last page ended (opaque to clients). */
export function cursorOf(record: SessionRecord): string {
  return encodeBase64url(JSON.stringify([record.createdAt, record.id]))
}

/** Where a page cursor points; `invalid_request` for a cursor this server did not give. */
export function afterOf(cursor: string | undefined): SessionPage['after'] {
  if (cursor === undefined) return undefined
  try {
    const [createdAt, id] = JSON.parse(decodeBase64urlText(cursor)) as unknown[]
    if (typeof createdAt === 'number' && Number.isFinite(createdAt) && typeof id === 'string')
      return { createdAt, id }
  } catch {
    // fall through
  }
  throw new AuthError('invalid_request', 'the session list cursor is not one this server gave')
}

/** A record as `listSessions` shows it (whole seconds), `current` when the caller's session is known. */
export function sessionView(record: SessionRecord, currentSessionId: string | undefined): Session {
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
