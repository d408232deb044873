/**
 * The auth routes' options, checked once when the routes are built (unknown names rejected with
 * the closest valid one, every number finite and in range), with their defaults.
 */

import type { AuthCore } from '../core/context.js'
import type { ResolvedCookies } from '../core/credentials/cookies.js'
import {
  booleanOption,
  checkNames,
  cookieOption,
  durationOption,
  functionOption,
  integerOption,
  objectOption,
} from '../core/options/validate.js'
import type { AuthRouteOptions } from './types.js'

/** Every option name of the auth routes (adapters add their own). */
export const ROUTE_OPTION_NAMES = [
  'findUser',
  'passwordHashOf',
  'verifyCredentials',
  'claimsFor',
  'updatePasswordHash',
  'passwordOptions',
  'toPublicUser',
  'privateFields',
  'prefix',
  'cookies',
  'rateLimit',
  'trustProxy',
  'maxBodyBytes',
  'openapi',
] as const

const DEFAULT_PRIVATE_FIELDS = ['password', 'passwordHash', 'password_hash', 'hash', 'salt']

/** Login rate limit, resolved. */
export interface ResolvedLimits {
  /** Window, seconds. */
  window: number
  perUser: number
  perAddress: number
}

/** The auth routes' options, checked, with defaults. */
export interface ResolvedRouteOptions {
  /** Normalised prefix: `/auth`, or `''` for the root. */
  prefix: string
  cookies: ResolvedCookies | undefined
  maxBodyBytes: number
  privateFields: readonly string[]
  limits: ResolvedLimits | undefined
  /** Proxies in front of the app whose `X-Forwarded-For` entries are believed. */
  proxyHops: number
}

/** `/auth/` → `/auth`; `/` → `''`. */
export function normalisePrefix(prefix: string): string {
  return `/${prefix.replace(/^\/+|\/+$/g, '')}`.replace(/^\/$/, '')
}

function limitsOption(value: AuthRouteOptions['rateLimit']): ResolvedLimits | undefined {
  if (value === false) return undefined
  if (value !== undefined) {
    objectOption(value, 'rateLimit')
    checkNames(value, ['window', 'maxPerUsername', 'maxPerAddress'], '`rateLimit`')
  }
  return {
    window: durationOption(value?.window, 'rateLimit.window', { min: 1, fallback: '15m' }),
    perUser: integerOption(value?.maxPerUsername, 'rateLimit.maxPerUsername', { min: 1, fallback: 5 }),
    perAddress: integerOption(value?.maxPerAddress, 'rateLimit.maxPerAddress', { min: 1, fallback: 50 }),
  }
}

function proxyHops(value: boolean | number | undefined): number {
  if (value === undefined || value === false) return 0
  if (value === true) return 1
  return integerOption(value, 'trustProxy', { min: 0, max: 32, fallback: 0 })
}

const FIND_USER_FIX =
  '`findUser: (username) => user or null` returns your user with its `passwordHash` (hashPassword from ' +
  'tokenward/password); or check passwords yourself with `verifyCredentials: (username, password) => user or null`'

/** Checks the route options (adapters take their own options out first). */
export function resolveRouteOptions(
  core: AuthCore,
  options: AuthRouteOptions<unknown, object>,
): ResolvedRouteOptions {
  if (typeof options !== 'object' || options === null || Array.isArray(options))
    throw new TypeError(
      `tokenward: the auth routes need options — authRouter(auth, { findUser }), authRoutes(auth, { findUser }) ` +
        `or Fastify's routes: { findUser } — got ${options === null ? 'null' : Array.isArray(options) ? 'an array' : String(options)}. ${FIND_USER_FIX}`,
    )
  checkNames(options, ROUTE_OPTION_NAMES, 'the auth route options')
  for (const name of [
    'findUser',
    'passwordHashOf',
    'verifyCredentials',
    'claimsFor',
    'updatePasswordHash',
    'toPublicUser',
  ] as const)
    functionOption(options[name], name)
  if (!options.findUser && !options.verifyCredentials)
    throw new TypeError(
      `tokenward: the auth routes need \`findUser\` or \`verifyCredentials\`. ${FIND_USER_FIX}`,
    )
  if (options.privateFields !== undefined && !Array.isArray(options.privateFields))
    throw new TypeError('tokenward: `privateFields` must be a list of field names')
  booleanOption(options.openapi, 'openapi')
  if (options.prefix !== undefined && typeof options.prefix !== 'string')
    throw new TypeError('tokenward: `prefix` must be a string such as "/auth"')
  return {
    prefix: normalisePrefix(options.prefix ?? '/auth'),
    cookies:
      options.cookies === undefined
        ? core.settings.cookies
        : cookieOption(options.cookies, 'cookies', core.settings.csrf),
    maxBodyBytes: integerOption(options.maxBodyBytes, 'maxBodyBytes', {
      min: 256,
      max: 1024 * 1024,
      fallback: 16 * 1024,
    }),
    privateFields: options.privateFields ?? DEFAULT_PRIVATE_FIELDS,
    limits: limitsOption(options.rateLimit),
    proxyHops: proxyHops(options.trustProxy),
  }
}
