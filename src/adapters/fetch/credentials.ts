/** tokenward/fetch: credentials in and guards (one section of the adapter; src/adapters/fetch.ts re-exports it). */
import { checkNames } from '../../core/options/validate.js'
import type { Auth, AuthContext, CredentialsInput } from '../../index.js'
import { authenticateThen, foundToken, passesAsAnonymous } from '../kit/credentials.js'
import { requirementOf, unmet } from '../kit/guards.js'
import { adapterSettings } from '../kit/options.js'
import { checkAuth } from '../kit/wiring.js'
import { authErrorResponse } from './errors.js'
import type { FetchAuthenticateOptions } from './types.js'

const NAMES = ['roles', 'scopes', 'permissions', 'maxAge', 'optional', 'cookies', 'getToken'] as const
const WHERE = 'authenticateRequest(auth, request, options)'

/**
 * Authenticates a Fetch `Request` (Bearer header, or the access cookie in cookie mode, or your
 * `getToken`; `Authorization: DPoP` with its proof) and checks what the route needs (`roles`,
 * `scopes`, `permissions`, `maxAge`). Gives the context, or a ready `Response` to return as it is:
 * 401 or 403 with `WWW-Authenticate`, 503 when the store is down. With `optional`, a request
 * without credentials gives `null`. A failure of your own `resolveUser` is thrown (the server's
 * 500), never answered as the client's fault.
 *
 * @example
 * ```ts
 * import { createAuth } from 'tokenward'
 * import { authenticateRequest } from 'tokenward/fetch'
 *
 * const auth = createAuth({ secret: 'change-me-to-32-or-more-random-bytes!!' })
 * export async function handle(request: Request): Promise<Response> {
 *   const result = await authenticateRequest(auth, request, { roles: ['admin'] })
 *   if (result instanceof Response) return result // 401, 403 or 503
 *   return Response.json({ sub: result.claims.sub })
 * }
 * ```
 */
export function authenticateRequest<C extends object, U>(
  auth: Auth<C, U>,
  request: Request,
  options: FetchAuthenticateOptions & { optional: true },
): Promise<AuthContext<C, U> | Response | null>
export function authenticateRequest<C extends object, U>(
  auth: Auth<C, U>,
  request: Request,
  options?: FetchAuthenticateOptions,
): Promise<AuthContext<C, U> | Response>
export async function authenticateRequest<C extends object, U>(
  auth: Auth<C, U>,
  request: Request,
  options: FetchAuthenticateOptions = {},
): Promise<AuthContext<C, U> | Response | null> {
  checkAuth(auth, WHERE)
  if (typeof options !== 'object' || options === null || Array.isArray(options))
    throw new TypeError(`tokenward: the options of ${WHERE} must be an object`)
  checkNames(options, NAMES, `the options of ${WHERE}`)
  const { optional, cookies, getToken, ...requirement } = options
  const a = auth as unknown as Auth<object, unknown>
  const settings = adapterSettings<Request>(a, { optional, cookies, getToken }, WHERE)
  let input: CredentialsInput = request
  if (settings.getToken !== undefined) input = foundToken(await settings.getToken(request)) ?? request
  const check = requirementOf(requirement, WHERE)
  return authenticateThen(
    a,
    input,
    settings.callOptions,
    (ctx) => {
      const err = unmet(a, ctx, check)
      return err ? authErrorResponse(err) : (ctx as AuthContext<C, U>)
    },
    (err) => (passesAsAnonymous(settings.optional, err) ? null : authErrorResponse(err)),
  )
}
