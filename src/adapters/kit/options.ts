/**
 * The adapter kit (internal), options: what every adapter's `authenticate` takes, checked once
 * where the middleware is built. In order: the types, the user property, the check itself, and
 * the cookie settings resolved with the Auth's CSRF keys.
 *
 * @internal
 * @packageDocumentation
 */
import { csrfKeysOf } from '../../core/context.js'
import type { CookieOptions } from '../../core/credentials/cookies.js'
import { booleanOption, checkNames, cookieOption } from '../../core/options/validate.js'
import type { Auth, AuthenticateOptions } from '../../core/types/index.js'

/** Where an adapter finds the token when the app says so (express-jwt's and @fastify/jwt's `getToken`). */
export type TokenLookup<R> = (request: R) => string | null | undefined | Promise<string | null | undefined>

/** The options every adapter's `authenticate` takes. */
export interface CommonAuthenticateOptions<R> {
  optional?: boolean
  cookies?: boolean | CookieOptions
  passErrors?: boolean
  getToken?: TokenLookup<R>
  userProperty?: string | false
}

/** The options, checked, with defaults. */
export interface AdapterSettings<R> {
  optional: boolean
  passErrors: boolean
  getToken: TokenLookup<R> | undefined
  /** Where the user goes (`false`: nowhere but `auth.user`). */
  userProperty: string | false
  /** What `authenticate` is called with: the cookie settings, resolved once. */
  callOptions: AuthenticateOptions | undefined
}

const COMMON_NAMES = ['optional', 'cookies', 'passErrors', 'getToken', 'userProperty'] as const

/** The user property: a non-empty name other than `auth`, or `false`. */
function userPropertyOf(value: unknown, where: string): string | false {
  if (value === undefined) return 'user'
  if (value === false) return false
  if (typeof value !== 'string' || value.length === 0 || value === 'auth')
    throw new TypeError(
      `tokenward: \`userProperty\` of ${where} must be a property name other than 'auth' (or false)`,
    )
  return value
}

/**
 * Checks an adapter's options at once (unknown names rejected with the closest valid one) and
 * resolves the cookie settings with the Auth's CSRF keys, so no request pays for it.
 */
export function adapterSettings<R>(
  auth: Auth<object, unknown>,
  options: CommonAuthenticateOptions<R> | undefined,
  where: string,
  extra: readonly string[] = [],
): AdapterSettings<R> {
  if (options === undefined) options = {}
  if (typeof options !== 'object' || options === null || Array.isArray(options))
    throw new TypeError(`tokenward: the options of ${where} must be an object`)
  checkNames(options, [...COMMON_NAMES, ...extra], `the options of ${where}`)
  if (options.getToken !== undefined && typeof options.getToken !== 'function')
    throw new TypeError(`tokenward: \`getToken\` of ${where} must be a function (request) => token`)
  return {
    optional: booleanOption(options.optional, 'optional', where) ?? false,
    passErrors: booleanOption(options.passErrors, 'passErrors', where) ?? false,
    getToken: options.getToken,
    userProperty: userPropertyOf(options.userProperty, where),
    callOptions: callOptionsOf(auth, options.cookies),
  }
}

/** The call options `authenticate` gets from an adapter's `cookies` override, resolved once. */
function callOptionsOf(
  auth: Auth<object, unknown>,
  cookies: boolean | CookieOptions | undefined,
): AuthenticateOptions | undefined {
  if (cookies === undefined) return undefined
  return { cookies: cookieOption(cookies, 'cookies', csrfKeysOf(auth)) ?? false }
}
