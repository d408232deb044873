/**
 * `GET /me`: the signed-in user (or the claims without a resolver), without its private fields,
 * the password hash `passwordHashOf` reads, or anything that looks like a password hash.
 */
import { json } from '../response.js'
import { appCallback, type RouteContext } from '../route-context.js'
import { authenticateInputOf } from '../session-cookies.js'
import type { AuthRouteRequest, AuthRouteResponse } from '../types.js'
import { publicUser, scrubPasswordHashes } from '../users.js'

/** The value `passwordHashOf` reads from this user, if it reads one (its failure only means none). */
function hashOf(passwordHashOf: ((user: never) => unknown) | undefined, user: unknown): string | undefined {
  if (!passwordHashOf) return undefined
  try {
    const hash = passwordHashOf(user as never)
    return typeof hash === 'string' ? hash : undefined
  } catch {
    return undefined
  }
}

/** The me route. */
export async function meRoute(route: RouteContext, request: AuthRouteRequest): Promise<AuthRouteResponse> {
  const { auth, settings, options } = route
  // These routes' own cookie settings (custom names included), not createAuth's.
  const ctx = await auth.authenticate(authenticateInputOf(request, settings.cookies), {
    cookies: settings.cookies ?? false,
  })
  const hash = hashOf(options.passwordHashOf, ctx.user)
  const toPublicUser = options.toPublicUser
  const shown = toPublicUser
    ? scrubPasswordHashes(await appCallback(route, 'toPublicUser', () => toPublicUser(ctx.user)), hash)
    : publicUser(ctx.user, settings.privateFields, hash)
  return json(shown)
}
