/**
 * `GET /sessions` and `DELETE /sessions/:id`: the caller's own signed-in devices. Both authenticate
 * like `GET /me` (Bearer header, or in cookie mode the access cookie — an unsafe method such as
 * DELETE then needs the CSRF header) and only ever see the caller's own subject: a session id of
 * another user is 404, exactly like one that never existed, and is never revoked.
 *
 * A store that keeps no session records answers 501 `sessions_unsupported`: a permanent property
 * of the deployment (not an outage, not a bug), which a client can read to hide its devices page.
 */
import { AuthError } from '../../core/errors.js'
import { missingSessionMethods } from '../../core/lib/store-methods.js'
import { listSessionsPage, revokeSession } from '../../core/sessions.js'
import type { AuthContext, Session } from '../../core/types/index.js'
import { badRequest } from '../body.js'
import { json, NO_STORE, noContent } from '../response.js'
import type { RouteContext } from '../route-context.js'
import { authenticateInputOf, clearCookies, currentSession } from '../session-cookies.js'
import type { AuthRouteRequest, AuthRouteResponse } from '../types.js'

/** Session ids tokenward issues: 128 random bits, base64url (22 characters). */
const SESSION_ID = /^[A-Za-z0-9_-]{1,64}$/

/**
 * The caller, authenticated as `GET /me` does (these routes' own cookie settings), handed to
 * `then` — or the 501 when the store keeps no session records (after authentication: an anonymous
 * client learns nothing about the deployment).
 */
async function asCaller(
  route: RouteContext,
  request: AuthRouteRequest,
  then: (ctx: AuthContext<object, unknown>) => Promise<AuthRouteResponse>,
): Promise<AuthRouteResponse> {
  const { cookies } = route.settings
  const ctx = await route.auth.authenticate(authenticateInputOf(request, cookies), {
    cookies: cookies ?? false,
  })
  const missing = missingSessionMethods(route.store)
  return missing.length > 0 ? unsupported(missing) : then(ctx)
}

/** 501 when the store keeps no session records, in the `{ error, message }` shape of every answer. */
function unsupported(missing: readonly string[]): AuthRouteResponse {
  return {
    status: 501,
    headers: { ...NO_STORE },
    cookies: [],
    body: {
      error: 'sessions_unsupported',
      message: `the token store keeps no session records (it lacks ${missing.join(', ')})`,
    },
  }
}

/** A session as the HTTP API shows it (snake_case, like the token responses). */
function wire(session: Session) {
  return {
    id: session.id,
    created_at: session.createdAt,
    last_used_at: session.lastUsedAt,
    expires_at: session.expiresAt,
    user_agent: session.userAgent,
    address: session.address,
    current: session.current === true,
  }
}

/** The page the query asks for: `?limit=` (1 to the cap, default 50) and `?cursor=` (the last answer's `next_cursor`). */
function pageOf(request: AuthRouteRequest): { limit: number | undefined; cursor: string | undefined } {
  const query =
    request.url === undefined
      ? undefined
      : URL.canParse(request.url)
        ? new URL(request.url).searchParams
        : undefined
  const limit = query?.get('limit') ?? undefined
  if (limit !== undefined && !/^\d{1,5}$/.test(limit)) throw badRequest('limit must be a positive integer')
  return { limit: limit === undefined ? undefined : Number(limit), cursor: query?.get('cursor') ?? undefined }
}

/**
 * `GET /sessions`: `{ sessions: [...], next_cursor }`, newest login first, the caller's own marked
 * `current`; one page (`?limit=`, default 50) — pass `?cursor=<next_cursor>` for the next.
 */
export async function listSessionsRoute(
  route: RouteContext,
  request: AuthRouteRequest,
): Promise<AuthRouteResponse> {
  return asCaller(route, request, async (ctx) => {
    const { limit, cursor } = pageOf(request)
    const page = await listSessionsPage(route.core, ctx.claims.sub, {
      current: currentSession(ctx),
      limit,
      cursor,
    })
    return json({ sessions: page.sessions.map(wire), next_cursor: page.nextCursor ?? null })
  })
}

/**
 * `DELETE /sessions/:id`: 204 once the session's token family is revoked; 404 `session_not_found`
 * for an id that is not one of the caller's sessions; 503 when the revocation could not be stored.
 * Ending the current session clears the session cookies, as logout does.
 */
export async function revokeSessionRoute(
  route: RouteContext,
  request: AuthRouteRequest,
): Promise<AuthRouteResponse> {
  return asCaller(route, request, async (ctx) => {
    const id = request.path.replace(/\/+$/, '').split('/').pop() ?? ''
    const { settings } = route
    // Anything but an id tokenward could have issued cannot be a session: the same 404.
    if (!SESSION_ID.test(id)) throw new AuthError('session_not_found', 'no such session')
    await revokeSession(route.core, ctx.claims.sub, id)
    const ended = id === currentSession(ctx)
    return noContent(ended ? clearCookies(settings.cookies, settings.prefix) : [])
  })
}
