/**
 * The public types of the core: options, the Auth object, contexts, events. No behaviour lives
 * here; each operation module (verify, authenticate, issue, refresh, revoke, one-time) implements
 * one part of {@link Auth}.
 */
import type { TokenStore } from '../../stores/types.js'
import type { CookieOptions } from '../credentials/cookies.js'
import type { CredentialSource, CredentialsInput } from '../credentials/types.js'
import type { Requirement, RoleHierarchy } from '../guards.js'
import type { RegisteredClaims } from '../jws/claims.js'
import type { VerifyProfile } from '../jws/tokens.js'
import type { JSONWebKeySet, KeyOptions } from '../keys/index.js'
import type { Duration } from '../lib/duration.js'
import type { AuthEvent } from './events.js'
import type { IssueOptions, Session, SessionPageOptions, SessionsPage } from './sessions.js'

export type { CredentialSource, CredentialsInput, HeadersInput } from '../credentials/types.js'
export type { AuthEvent } from './events.js'
export type { IssueOptions, Session, SessionPageOptions, SessionsPage } from './sessions.js'

/** Claims an app puts in tokens when it does not declare its own type. */
export interface DefaultClaims {
  /** Roles, checked by `authorize({ roles })` with the role hierarchy. */
  roles?: string[]
  /** OAuth scopes, space-separated (RFC 8693 §4.2). */
  scope?: string
  /** Permissions, checked by `authorize({ permissions })`. */
  permissions?: string[]
  [claim: string]: unknown
}

/** The claims of a verified access token: registered claims plus the app's own. */
export type AccessClaims<C extends object = DefaultClaims> = RegisteredClaims & C

/** What `issueTokens` takes: the subject plus the app's claims. */
export type ClaimsInput<C extends object = DefaultClaims> = { sub: string } & C

/** A Standard Schema v1 validator (zod ≥ 3.24, valibot ≥ 1, arktype ≥ 2 …), as far as tokenward needs it. */
export interface StandardSchemaV1<Input = unknown, Output = Input> {
  readonly '~standard': {
    readonly version: 1
    readonly vendor: string
    readonly validate: (
      value: unknown,
    ) =>
      | { readonly value: Output; readonly issues?: undefined }
      | { readonly issues: ReadonlyArray<{ readonly message: string }> }
      | Promise<
          | { readonly value: Output; readonly issues?: undefined }
          | { readonly issues: ReadonlyArray<{ readonly message: string }> }
        >
    readonly types?: { readonly input: Input; readonly output: Output } | undefined
  }
}

/** A newly issued access + refresh token pair. */
export interface TokenPair {
  accessToken: string
  refreshToken: string
  /** `'DPoP'` when the pair is bound to a DPoP key (`cnf.jkt`, RFC 9449 §5). */
  tokenType: 'Bearer' | 'DPoP'
  /** Access token lifetime, seconds. */
  expiresIn: number
  /** Refresh token lifetime, seconds. */
  refreshExpiresIn: number
  /**
   * The session the pair belongs to (its token family, the `fid` claim): the id `listSessions`
   * shows and `revokeSession` takes.
   */
  sessionId: string
}

/**
 * What `stepUp` hands out: a fresh access token, and a rotated refresh token only when the
 * session's refresh token was given (session invariant S1: never a second live one).
 */
export type StepUpTokens = Omit<TokenPair, 'refreshToken' | 'refreshExpiresIn'> &
  Partial<Pick<TokenPair, 'refreshToken' | 'refreshExpiresIn'>>

/** Options of {@link Auth.stepUp}. */
export interface StepUpOptions {
  /**
   * The session's refresh token: rotated (as a refresh would), so the new `auth_time` travels on
   * in the new refresh token. Without it only a fresh access token is issued.
   */
  refreshToken?: string | undefined
  /** The thumbprint of the request's DPoP proof key, for a DPoP-bound refresh token (RFC 9449). */
  jkt?: string | undefined
  /** The authenticated client, for a refresh token of a confidential client (RFC 6749 §6). */
  client?: string | undefined
}

/** What `authenticate` returns: the token, its claims, the user, and the roles and scopes it grants. */
export interface AuthContext<C extends object = DefaultClaims, U = AccessClaims<C>> {
  /** The access token (never log it). */
  token: string
  claims: AccessClaims<C>
  /** From `resolveUser`; the claims themselves when no resolver is configured. */
  user: U
  roles: string[]
  scopes: string[]
  source: CredentialSource
}

/** Options of {@link createAuth}. */
export interface AuthOptions<C extends object = DefaultClaims, U = AccessClaims<C>> extends KeyOptions {
  /**
   * `iss` of issued tokens; when set, tokens with another issuer are rejected. A list trusts several
   * issuers (the first is the one tokenward issues as); with `jwks` by issuer, each issuer's tokens
   * must verify with that issuer's own key set.
   */
  issuer?: string | string[]
  /**
   * Which access tokens verification accepts. `'rfc9068'` (default): tokenward's own — `typ:
   * at+jwt`, `jti` required. `'jwt'`: also tokens of other identity providers (Auth0, Keycloak,
   * Cognito, Firebase …) — `typ` `JWT`, `at+jwt` or none, `jti` optional; verify-only
   * configurations only (`jwks`, `keyResolver` or public `keys`). Rules in docs/concepts.md.
   */
  verifyProfile?: VerifyProfile
  /** `aud` of issued tokens; when set, tokens for no listed audience are rejected. */
  audience?: string | string[]
  /** Access token lifetime (default `'15m'`). */
  accessTokenTtl?: Duration
  /** Refresh token lifetime (default `'7d'`). */
  refreshTokenTtl?: Duration
  /** Leeway for `exp`, `nbf` and `iat` between clocks (default `'5s'`). */
  clockTolerance?: Duration
  /** Longest token accepted, in characters (default 8192). Longer input is rejected before any parsing. */
  maxTokenLength?: number
  /** Where revocations and spent tokens live (default `memoryStore()`). */
  store?: TokenStore
  /**
   * Looks the user up from verified claims; `null` rejects the request with `user_not_found`
   * (deleted or inactive users). Runs on every authenticated request — keep it fast.
   */
  resolveUser?: (claims: AccessClaims<C>) => U | null | undefined | Promise<U | null | undefined>
  /** Maps a user to token claims on refresh (and on login through the auth routes). */
  claimsFor?: (
    user: U,
  ) =>
    | (Omit<ClaimsInput<C>, 'sub'> & { sub?: string })
    | Promise<Omit<ClaimsInput<C>, 'sub'> & { sub?: string }>
  /**
   * A Standard Schema (zod, valibot, arktype) run on verified claims; failure is `token_claim_invalid`.
   * Its output becomes the claims, except the registered ones (`exp`, `jti`, `sub`, …), which stay as verified.
   */
  claimsSchema?: StandardSchemaV1
  /** `{ admin: ['editor'], editor: ['user'] }`: roles granted by other roles. */
  roleHierarchy?: RoleHierarchy
  /** `{ editor: ['posts:write'] }`: permissions granted by roles (after the hierarchy). */
  rolePermissions?: RoleHierarchy
  /** Audit hook. Errors it throws are swallowed; it must not block. */
  onEvent?: (event: AuthEvent) => void | Promise<void>
  /**
   * `false`: a refresh returns a new access token and the SAME refresh token (still revocable,
   * still bound to its session) instead of rotating it. Default `true` (rotation with reuse
   * detection, RFC 9700 §4.14.2). See docs/concepts.md for when to turn it off.
   */
  rotateRefreshTokens?: boolean
  /**
   * How long after its first presentation a spent refresh token may come back without counting as
   * reuse (default `'10s'`; at most 2 such retries): a client whose refresh answer was lost (a
   * timeout, a dropped connection) can retry. `0` turns it off: any second presentation revokes
   * the session. The trade-off is in docs/security.md.
   */
  reuseGrace?: Duration
  /**
   * The OAuth clients the token endpoint accepts, by `client_id` (RFC 6749 §2): `{ web: {},
   * svc: { secret: '…' } }`. A confidential client (with a secret) must authenticate; a request
   * naming an unknown client is refused with `invalid_client`. Tokens carry the requesting
   * client's `client_id` (RFC 9068 §2.2). Without `clients`, the token endpoint ignores any
   * client the request names.
   */
  clients?: Record<string, ClientOptions>
  /** The `client_id` of tokens whose request named no client (RFC 9068 §2.2). */
  clientId?: string
  /**
   * DPoP (RFC 9449), off by default. On: a token request carrying a `DPoP` proof gets tokens bound
   * to the proof's key, and a bound token is accepted only as `Authorization: DPoP` with a proof.
   * `{ required: true }` refuses bearer tokens; `{ nonce: true }` asks for server nonces
   * (docs/dpop.md).
   */
  dpop?: boolean | DpopOptions
  /**
   * Live sessions one user may hold (default 100; `0`: no cap). A login past it ends the user's
   * OLDEST session — its tokens revoked first, then its record forgotten (docs/sessions.md). An
   * account whose logins end more than this many sessions a day gets `rate_limited` (429) on
   * login until the day is over, so one account cannot fill the store with revocations.
   */
  maxSessionsPerUser?: number
  /**
   * What a session record keeps of the login's address (shown in `listSessions`): `'network'`
   * (default: IPv4 /24, IPv6 /64 — a network, not a device), `'full'` (the address as the request
   * gave it) or `'none'`. An address is personal data (GDPR art. 5(1)(c), data minimisation).
   */
  sessionAddress?: 'network' | 'full' | 'none'
  /** Realm named in `WWW-Authenticate` (default `"tokenward"`). */
  realm?: string
  /** Cookie mode: read the access token from a cookie too (with CSRF checks). */
  cookies?: boolean | CookieOptions
  /**
   * Cache of verified access tokens, keyed by the whole token, never outliving `exp`; revocation is
   * still checked on every hit. Default on, 10 000 entries. `false` turns it off.
   */
  cache?: boolean | { maxEntries?: number }
  /** Clock, epoch milliseconds (default `Date.now`). Tests inject one. */
  now?: () => number
}

/** Options of DPoP (`createAuth({ dpop })`, RFC 9449). */
export interface DpopOptions {
  /** Every token must be DPoP-bound: token requests without a proof and bearer use are refused. */
  required?: boolean
  /** Proofs must carry a server nonce (`DPoP-Nonce`, RFC 9449 §8); stateless, valid 5 to 10 minutes. */
  nonce?: boolean
  /**
   * The key of the nonces (at least 32 bytes), the same on every instance. Default: derived from
   * `secret` or the private keys; needed only for verify-only configurations.
   */
  nonceSecret?: string | Uint8Array
  /** How far a proof's `iat` may be from now, either way (default `'60s'`). */
  proofMaxAge?: Duration
  /** Proof algorithms accepted (default ES256/384/512, EdDSA, RS256/384/512, PS256/384/512). */
  algorithms?: string[]
}

/** Options of `authenticate` calls (adapters pass their own). */
export interface AuthenticateOptions {
  /** Overrides the `cookies` option of `createAuth` for this call. */
  cookies?: boolean | CookieOptions
}

/** Options of {@link Auth.revoke}. */
export interface RevokeOptions {
  /** Revoke the token's whole session (its family), whatever its kind. */
  session?: boolean
}

/** Options of {@link Auth.refresh}. */
export interface RefreshOptions<C extends object, U> {
  /** Overrides `claimsFor` of `createAuth` for this rotation. */
  claimsFor?: AuthOptions<C, U>['claimsFor']
  /**
   * The thumbprint of the DPoP proof key of this token request (RFC 9449 §5): a bound refresh
   * token is refreshed only with a proof of its own key; the new tokens are bound to it.
   */
  jkt?: string | undefined
  /**
   * The `client_id` of the client the request authenticated as (its secret checked): a refresh
   * token issued to a confidential client is refreshed only with it (RFC 6749 §6, session
   * invariant S3), and a token issued to another client is refused.
   */
  client?: string | undefined
}

/** The object `createAuth` returns. */
export interface Auth<C extends object = DefaultClaims, U = AccessClaims<C>> {
  /** Resolves when every key is imported; rejects with the configuration error if one is bad. */
  ready(): Promise<void>
  /**
   * Issues an access + refresh token pair for a new login (a new token family: a session). With a
   * store that keeps session records, the session's record is saved too (with `options`' user
   * agent and address); a record that cannot be saved fails the login (`store_unavailable`).
   */
  issueTokens(claims: ClaimsInput<C>, options?: IssueOptions): Promise<TokenPair>
  /**
   * Fresh tokens in the SAME session as `claims` (a verified access token's, e.g. `ctx.claims`),
   * with `auth_time` now: call it right after the user proved who they are again (their password),
   * so routes guarded with `requireFresh` / `authorize(ctx, { maxAge })` let them through.
   * `extra` claims replace the caller's own claims of the new tokens. With `options.refreshToken`
   * (the session's own) the refresh token is rotated too; without it, only an access token is
   * issued — a session never has two live refresh tokens (docs/security.md, S1).
   */
  stepUp(
    claims: { sub: string; fid?: unknown; [claim: string]: unknown },
    extra?: Omit<Partial<ClaimsInput<C>>, 'sub'>,
    options?: StepUpOptions,
  ): Promise<StepUpTokens>
  /** Verifies an access token, including revocation. Throws {@link AuthError}. */
  verifyAccessToken(token: string): Promise<AccessClaims<C>>
  /** Verifies a refresh token, including revocation; does not spend it. Throws {@link AuthError}. */
  verifyRefreshToken(token: string): Promise<AccessClaims<C> & { fid: string }>
  /** Finds the credentials, verifies them and resolves the user. Throws {@link AuthError}. */
  authenticate(input: CredentialsInput, options?: AuthenticateOptions): Promise<AuthContext<C, U>>
  /** Throws 403 {@link AuthError} unless the context meets the requirement. */
  authorize(ctx: Pick<AuthContext<C, U>, 'claims'>, requirement: Requirement): void
  /** Rotates a refresh token: the old one is spent; presenting it again revokes the whole family. */
  refresh(refreshToken: string, options?: RefreshOptions<C, U>): Promise<TokenPair>
  /**
   * Revokes an access token (until its `exp`) or a refresh token (its whole family). With
   * `{ session: true }`, any token of a session revokes the whole session (its family), expired or
   * not: what logout does.
   */
  revoke(token: string, options?: RevokeOptions): Promise<void>
  /** Rejects every token of `sub` issued until now ("log out everywhere"). */
  revokeSubject(sub: string): Promise<void>
  /**
   * The live sessions of `sub`, newest first; with `currentSessionId` (the `fid` of the caller's
   * token) each carries `current`. Needs a store with session records (docs/sessions.md).
   */
  listSessions(sub: string, currentSessionId?: string): Promise<Session[]>
  /**
   * One page of the live sessions of `sub`, newest login first, with the cursor of the next page
   * (`GET /auth/sessions?limit=&cursor=`). Costs the page, not the user's whole list.
   */
  listSessionsPage(sub: string, options?: SessionPageOptions): Promise<SessionsPage>
  /**
   * Ends one session of `sub`: its token family is revoked, then its record forgotten. A session id
   * that is not one of `sub`'s is `session_not_found` (404) and nothing is revoked.
   */
  revokeSession(sub: string, sessionId: string): Promise<void>
  /** Ends every session of `sub` but `currentSessionId` ("sign out other devices"); the ids ended. */
  revokeOtherSessions(sub: string, currentSessionId: string): Promise<string[]>
  /** Issues a single-use token for `purpose` (password reset, e-mail verification …). */
  issueOneTimeToken(
    purpose: string,
    sub: string,
    ttl?: Duration,
    claims?: Record<string, unknown>,
  ): Promise<string>
  /** Spends a one-time token and returns its subject; a second call fails with `token_revoked`. */
  consumeOneTimeToken(token: string, purpose: string): Promise<string>
  /**
   * The public JWK Set of the asymmetric keys (for `/.well-known/jwks.json`), once the keys are
   * imported: it works right after `createAuth`. Empty for HMAC and verify-only configurations;
   * rejects with the configuration error if a key cannot be imported.
   */
  jwks(): Promise<JSONWebKeySet>
  /** Empties the verified-token cache. */
  clearCache(): void
}

/** `Omit` applied to each member of a union. */
export type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never

/** An OAuth client the token endpoint knows (RFC 6749 §2.1). */
export interface ClientOptions {
  /** Its secret: a confidential client must present it (HTTP Basic or `client_secret`). None: a public client. */
  secret?: string
}
