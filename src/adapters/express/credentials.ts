/** tokenward/express: credentials in (one section of the adapter; src/adapters/express.ts re-exports it). */
import type { NextFunction, Request, RequestHandler, Response } from 'express'
import type { Auth, AuthContext, CredentialsInput } from '../../index.js'
import {
  authenticateThen,
  isDpopScheme,
  isPreflight,
  passesAsAnonymous,
  withFoundToken,
} from '../kit/credentials.js'
import { adapterSettings } from '../kit/options.js'
import { checkAuth, EXPRESS_CALLS, handedOverUncalled } from '../kit/wiring.js'
import { fail } from './errors.js'
import { authOf, type Binding, type ExpressAuthenticateOptions } from './types.js'

/**
 * The host the client asked for, port included, as Express 5's `req.host` reads it — on Express 4
 * too, whose `req.host` is the hostname alone (the port lost, so no DPoP `htu` on a non-default
 * port ever matched): `X-Forwarded-Host` when `trust proxy` trusts the peer, else `Host`.
 */
function requestHost(req: Request): string | undefined {
  const trust = req.app.get('trust proxy fn') as
    | ((address: string | undefined, hop: number) => boolean)
    | undefined
  let host = req.get('X-Forwarded-Host')
  if (!host || !trust?.(req.socket.remoteAddress, 0)) host = req.get('Host')
  else if (host.includes(',')) host = host.slice(0, host.indexOf(',')).trimEnd()
  return host || undefined
}

/** The URL the client asked for (RFC 9449 `htu`): `trust proxy` decides what protocol and host are. */
export function requestUrl(req: Request): string {
  return `${req.protocol}://${requestHost(req) ?? req.hostname}${req.originalUrl}`
}

/** authenticate's input: the headers, the method, and the URL for a DPoP request only. */
export function expressInput(req: Request): CredentialsInput {
  const url = isDpopScheme(req.headers.authorization) ? requestUrl(req) : undefined
  return { headers: req.headers, method: req.method, url }
}

/**
 * Authenticates the request (Bearer header, or the access cookie in cookie mode, or your
 * `getToken`) and sets `req.auth` and `req.user`. Answers 401/403/503 itself unless `passErrors`
 * is set. A CORS preflight passes through untouched.
 *
 * @example
 * ```ts
 * import express from 'express'
 * import { createAuth } from 'tokenward'
 * import { authenticate } from 'tokenward/express'
 *
 * const auth = createAuth({ secret: 'change-me-to-32-or-more-random-bytes!!' })
 * const app = express()
 * app.use('/api', authenticate(auth)) // protect a group of routes (or app.use(authenticate(auth)) for all)
 * app.get('/api/me', (req, res) => {
 *   res.json(req.auth?.claims)
 * })
 * ```
 */
export function authenticate<C extends object, U>(
  auth: Auth<C, U>,
  options?: ExpressAuthenticateOptions,
): RequestHandler
export function authenticate(...args: unknown[]): RequestHandler | undefined {
  // `app.get('/x', authenticate, handler)`: answer (a 500 naming the fix) instead of hanging.
  if (handedOverUncalled(EXPRESS_CALLS, args, 'authenticate', 'app.get(path, authenticate(auth), handler)'))
    return undefined
  const [auth, options] = args as [Auth<object, unknown>, ExpressAuthenticateOptions | undefined]
  checkAuth(auth, 'authenticate(auth)')
  const { optional, passErrors, getToken, userProperty, callOptions } = adapterSettings(
    auth,
    options,
    'authenticate(auth, options)',
  )
  const binding: Binding = { auth, passErrors }
  const accepted = (req: Request, ctx: AuthContext<object, unknown>, next: NextFunction) => {
    req.auth = ctx
    if (userProperty !== false) (req as unknown as Record<string, unknown>)[userProperty] = ctx.user
    next()
  }
  const refused = (res: Response, next: NextFunction, err: unknown) => {
    if (passesAsAnonymous(optional, err)) next()
    else fail(res, next, err, passErrors)
  }
  const run = (req: Request, res: Response, next: NextFunction, input: CredentialsInput) =>
    authenticateThen(
      auth,
      input,
      callOptions,
      (ctx) => accepted(req, ctx, next),
      (err) => refused(res, next, err),
    )
  return function tokenwardAuthenticate(req, res, next) {
    if (isPreflight(req.method, req.headers['access-control-request-method'])) return next()
    authOf.set(req, binding)
    if (getToken === undefined) {
      run(req, res, next, expressInput(req))
      return
    }
    // The app's getToken threw or rejected: Express's 500.
    withFoundToken(
      getToken,
      req,
      () => expressInput(req),
      (input) => run(req, res, next, input),
      next,
    )
  }
}
