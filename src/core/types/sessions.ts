/** What a session is, and what a login tells about its client (re-exported by types/index.ts). */

/** What a login knows of the client, kept in its session record (`issueTokens`' second argument). */
export interface IssueOptions {
  /** The `User-Agent` header of the login request (kept up to 512 characters). */
  userAgent?: string | null | undefined
  /** The client address of the login request; an IPv6 address is kept as its /64 only. */
  address?: string | null | undefined
  /**
   * Bind the pair to this DPoP key: its RFC 7638 SHA-256 thumbprint, from a verified proof
   * (RFC 9449 §6: `cnf.jkt`). The auth routes do this when a token request carries a proof.
   */
  jkt?: string | undefined
}

/**
 * A session: one login (one token family) and every refresh after it, as `listSessions` shows it.
 * Times are epoch seconds (NumericDate).
 */
export interface Session {
  /** The session id: the family id (`fid`) of its tokens. */
  id: string
  /** The login. */
  createdAt: number
  /** The last refresh (the login until the first one). Kept on a best-effort basis. */
  lastUsedAt: number
  /** When the session ends unless it is refreshed: no token of it is accepted after this. */
  expiresAt: number
  /** The `User-Agent` of the login, or `null`. */
  userAgent: string | null
  /** The client address of the login (IPv6: its /64), or `null`. */
  address: string | null
  /** Present when `listSessions` was told the current session: true for that one. */
  current?: boolean
}

/** Options of `listSessionsPage`. */
export interface SessionPageOptions {
  /** The caller's own session (the `fid` claim of its access token): marked `current`. */
  current?: string | undefined
  /** Sessions per page (default 50, at most `maxSessionsPerUser`). */
  limit?: number | undefined
  /** Where the previous page ended (its `nextCursor`); the first page without. */
  cursor?: string | undefined
}

/** One page of a user's sessions, newest login first. */
export interface SessionsPage {
  sessions: Session[]
  /** Pass it as `cursor` for the next page; `undefined` on the last. */
  nextCursor: string | undefined
}
