/**
 * `createAuth`: wiring only. It checks the options (options/), builds the one context every
 * operation takes (context.ts), and returns the {@link Auth} object whose methods are the
 * operation modules: verify.ts, authenticate.ts, issue.ts, refresh.ts, revoke.ts, one-time.ts,
 * sessions.ts.
 */
import { isMemoryStore, memoryStore } from '../stores/memory/index.js'
import { authenticateNow, authorize } from './authenticate.js'
import { type AuthCore, attachCore, type KeyRing, keysOf } from './context.js'
import { issueTokens } from './issue.js'
import { VerifiedTokenCache } from './jws/cache.js'
import { loadKeySet, publicJwks } from './keys/index.js'
import { consumeOneTimeToken, issueOneTimeToken } from './one-time.js'
import { resolveOptions } from './options/index.js'
import { refresh, stepUp } from './refresh.js'
import { revoke, revokeSubject } from './revoke.js'
import { listSessions, listSessionsPage, revokeOtherSessions, revokeSession } from './sessions.js'
import type { AccessClaims, Auth, AuthEvent, AuthOptions, DefaultClaims } from './types/index.js'
import { verify } from './verify.js'

function importKeys(
  options: AuthOptions<object, unknown>,
  issuers: readonly string[] | undefined,
  emit: AuthCore['emit'],
): KeyRing {
  const ring: KeyRing = {
    current: undefined,
    ready: loadKeySet(options, issuers, emit).then((keys) => {
      ring.current = keys
      return keys
    }),
  }
  ring.ready.catch(() => {}) // surfaced by ready() and by every call; never an unhandled rejection
  return ring
}

function eventSink(options: AuthOptions<object, unknown>, now: () => number): AuthCore['emit'] {
  const { onEvent } = options
  return (event) => {
    if (!onEvent) return
    try {
      const result = onEvent({ ...event, at: now() } as AuthEvent)
      if (result && typeof (result as Promise<void>).catch === 'function')
        (result as Promise<void>).catch(() => {})
    } catch {
      // An audit hook must never break authentication.
    }
  }
}

/** `NODE_ENV=production`, where the runtime has an environment (Node, Bun, Deno with --allow-env). */
function production(): boolean {
  try {
    return (
      (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env?.NODE_ENV ===
      'production'
    )
  } catch {
    // Deno without env permission throws: no environment to read.
    return false
  }
}

function buildCore(options: AuthOptions<object, unknown>): AuthCore {
  const settings = resolveOptions(options)
  const { now } = settings
  const emit = eventSink(options, now)
  if (settings.profile === 'jwt' && settings.audiences === undefined)
    emit({
      type: 'warning',
      message:
        "verifyProfile 'jwt' without `audience`: any JWT the issuer signs (an ID token, a token for another API) passes as an access token — set `audience`",
    })
  // Keys fetched or looked up per token can be withdrawn: a cached verdict lives at most a minute.
  const external = options.jwks !== undefined || options.keyResolver !== undefined
  const store = settings.store ?? memoryStore(options.now ? { now: options.now } : {})
  // Once per Auth: a production deployment on memoryStore loses every revocation when it restarts.
  if (isMemoryStore(store) && production())
    emit({
      type: 'warning',
      message:
        'NODE_ENV is production and the token store is memoryStore: revocations, spent refresh tokens and "log out everywhere" do not survive a restart (revoked tokens work again until they expire), and other instances never see them — use a shared store (tokenward/redis, tokenward/postgres) (docs/postgres.md, "Which store")',
    })
  return {
    options,
    settings,
    keys: importKeys(options, settings.issuers, emit),
    store,
    verifiedTokens:
      settings.verifiedTokenEntries > 0
        ? new VerifiedTokenCache(settings.verifiedTokenEntries, external ? 60_000 : undefined)
        : undefined,
    now,
    emit,
    lastCutoffMs: 0,
  }
}

/**
 * Creates the auth object: issues, verifies, rotates and revokes tokens.
 *
 * Throws `TypeError` at once for a bad configuration (no key, an HMAC secret shorter than its hash,
 * a malformed duration, an unknown option name). Keys are imported once, in the background;
 * `await auth.ready()` to surface a bad PEM or JWK at start-up rather than on the first request.
 *
 * @example
 * ```ts
 * import { createAuth } from 'tokenward'
 *
 * const auth = createAuth({
 *   secret: process.env.JWT_SECRET!, // at least 32 bytes
 *   issuer: 'https://api.example.com',
 *   audience: 'api',
 * })
 * const pair = await auth.issueTokens({ sub: 'u1', roles: ['admin'] })
 * const claims = await auth.verifyAccessToken(pair.accessToken)
 * ```
 */
export function createAuth<C extends object = DefaultClaims, U = AccessClaims<C>>(
  options: AuthOptions<C, U>,
): Auth<C, U> {
  const core = buildCore(options as AuthOptions<object, unknown>)
  const auth: Auth<object, unknown> = {
    async ready() {
      await core.keys.ready
    },
    stepUp: (claims, extra, stepUpOptions) =>
      stepUp(core, claims, extra as Record<string, unknown> | undefined, stepUpOptions),
    issueTokens: (claims, issueOptions) => issueTokens(core, claims, issueOptions),
    verifyAccessToken: (token) => verify(core, token, 'access') as Promise<AccessClaims<object>>,
    verifyRefreshToken: (token) =>
      verify(core, token, 'refresh') as Promise<AccessClaims<object> & { fid: string }>,
    async authenticate(input, callOptions) {
      return authenticateNow(core, input, callOptions)
    },
    authorize: (ctx, requirement) => authorize(core, ctx.claims as Record<string, unknown>, requirement),
    refresh: (token, refreshOptions) => refresh(core, token, refreshOptions),
    async revoke(token, revokeOptions) {
      await revoke(core, token, revokeOptions)
    },
    revokeSubject: (sub) => revokeSubject(core, sub),
    listSessions: (sub, currentSessionId) => listSessions(core, sub, currentSessionId),
    listSessionsPage: (sub, pageOptions) => listSessionsPage(core, sub, pageOptions),
    revokeSession: (sub, sessionId) => revokeSession(core, sub, sessionId),
    revokeOtherSessions: (sub, currentSessionId) => revokeOtherSessions(core, sub, currentSessionId),
    issueOneTimeToken: (purpose, sub, ttl, claims) => issueOneTimeToken(core, purpose, sub, ttl, claims),
    consumeOneTimeToken: (token, purpose) => consumeOneTimeToken(core, token, purpose),
    async jwks() {
      return publicJwks(await keysOf(core))
    },
    clearCache() {
      core.verifiedTokens?.clear()
    },
  }
  // The one door for the auth routes and the adapters (context.ts `coreOf`).
  attachCore(auth, core)
  return auth as unknown as Auth<C, U>
}
