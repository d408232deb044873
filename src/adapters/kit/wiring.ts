/**
 * The adapter kit (internal), wiring: the checks that catch a wiring mistake at start-up, or on
 * the first request when the framework hands a factory over uncalled. In order: the error type,
 * the Auth check, a factory handed over uncalled (each framework says how it tells), a guard
 * without `authenticate`.
 *
 * @internal
 * @packageDocumentation
 */
import { kindOf } from '../../core/lib/kind.js'
import type { Auth } from '../../core/types/index.js'

/** A mistake in how the app wires tokenward in: the framework answers it as a 500 with this message. */
export class WiringError extends Error {
  override readonly name = 'TokenwardWiringError'
}

/** The object `createAuth` returned (or one with its methods), or a `TypeError` naming the call to fix. */
export function checkAuth(auth: unknown, call: string): void {
  const a = auth as Partial<Auth<object, unknown>> | null | undefined
  if (
    typeof a !== 'object' ||
    a === null ||
    typeof a.authenticate !== 'function' ||
    typeof a.authorize !== 'function' ||
    typeof a.verifyAccessToken !== 'function'
  ) {
    const got =
      typeof auth === 'object' && auth !== null && !Array.isArray(auth)
        ? 'an object that is not an Auth'
        : kindOf(auth)
    throw new TypeError(
      `tokenward: ${call} needs the object createAuth() returned as its first argument, got ${got}`,
    )
  }
}

/** The error for a factory handed to the framework without being called: `use(authenticate)`. */
function notCalled(name: string, fix: string): WiringError {
  return new WiringError(
    `tokenward: \`${name}\` was given to the framework without being called — write ${fix}, not ${name}`,
  )
}

/** How a framework calls a middleware, so a factory handed over uncalled is told apart from its own call. */
export interface MiddlewareCalls {
  /** True for the arguments of the framework calling a middleware (`(req, res, next)`, `(c, next)`). */
  calledAsMiddleware(args: ArrayLike<unknown>): boolean
  /** Answers the mistake on the framework's error path: Express hands it to `next`, Hono throws it. */
  refuse(args: ArrayLike<unknown>, err: WiringError): void
}

/**
 * The preamble of every factory: `true` (and the framework already told, a 500 naming `fix`)
 * when the framework is calling the factory itself — `app.get('/x', authenticate, handler)` —
 * instead of the middleware it makes.
 */
export function handedOverUncalled(
  calls: MiddlewareCalls,
  args: ArrayLike<unknown>,
  name: string,
  fix: string,
): boolean {
  if (!calls.calledAsMiddleware(args)) return false
  calls.refuse(args, notCalled(name, fix))
  return true
}

/** Express (and Connect): `(req, res, next)`, a mistake goes to `next(err)`. */
export const EXPRESS_CALLS: MiddlewareCalls = {
  calledAsMiddleware(args) {
    const req = args[0] as { headers?: unknown; method?: unknown } | null | undefined
    return (
      args.length >= 3 &&
      typeof args[args.length - 1] === 'function' &&
      typeof req === 'object' &&
      req !== null &&
      typeof req.headers === 'object' &&
      typeof req.method === 'string'
    )
  },
  refuse(args, err) {
    ;(args[args.length - 1] as (err: unknown) => void)(err)
  },
}

/** Hono: `(c, next)`, a mistake is thrown (Hono's `onError`, a 500). */
export const HONO_CALLS: MiddlewareCalls = {
  calledAsMiddleware(args) {
    const c = args[0] as { req?: unknown; set?: unknown } | null | undefined
    return (
      args.length === 2 &&
      typeof args[1] === 'function' &&
      typeof c === 'object' &&
      c !== null &&
      typeof c.req === 'object' &&
      typeof c.set === 'function'
    )
  },
  refuse(_args, err) {
    throw err
  },
}

/** The error for a guard that ran before any `authenticate`. */
export function guardWithoutAuthenticate(guard: string, authenticate: string): WiringError {
  return new WiringError(
    `tokenward: ${guard} ran before ${authenticate}: put ${authenticate} in front of it (the guards only read what authenticate found)`,
  )
}
