/** `GET /me`: the signed-in user (or the claims without a resolver), private fields removed. */
import { json } from '../response.js'
import { appCallback, type RouteContext } from '../route-context.js'
import { credentialsOfRequest } from '../session-cookies.js'
import type { AuthRouteRequest, AuthRouteResponse } from '../types.js'
import { publicUser } from '../users.js'

/** The me route. */
export async function me(route: RouteContext, request: AuthRouteRequest): Promise<AuthRouteResponse> {
  const { auth, settings, options } = route
  const ctx = await auth.authenticate(credentialsOfRequest(request, settings.cookies), {
    cookies: settings.cookies ? (options.cookies ?? true) : false,
  })
  const toPublicUser = options.toPublicUser
  const shown = toPublicUser
    ? await appCallback(route, 'toPublicUser', () => toPublicUser(ctx.user))
    : publicUser(ctx.user, settings.privateFields)
  return json(shown)
}
