/**
 * Every default and every check of `createAuth`'s options, once, at construction (the way
 * fast-jwt's `createVerifier` does it): numbers finite and in range, durations parsed, callbacks
 * callable, unknown option names rejected with the closest valid name. A typo or a `NaN` must
 * fail at start-up, never switch a protection off at run time.
 *
 * The small validators are in validate.ts, shared with the HTTP layer's route options and the
 * adapters.
 */
import { SESSION_STORE_METHODS, type TokenStore } from '../../stores/types.js'
import type { ResolvedCookies } from '../credentials/cookies.js'
import { type CsrfKeys, csrfKeys } from '../credentials/csrf.js'
import type { VerifyProfile } from '../jws/tokens.js'
import { isPrivateKeyInput, validateKeyOptions } from '../keys/index.js'
import {
  DEFAULT_ACCESS_TTL,
  DEFAULT_CLOCK_TOLERANCE,
  DEFAULT_DPOP_PROOF_MAX_AGE,
  DEFAULT_MAX_SESSIONS_PER_USER,
  DEFAULT_MAX_TOKEN_LENGTH,
  DEFAULT_REALM,
  DEFAULT_REFRESH_TTL,
  DEFAULT_REUSE_GRACE,
  DPOP_ALGORITHMS,
  DPOP_NONCE_KEY_LABEL,
  DPOP_NONCE_LABEL,
} from '../lib/constants.js'
import { utf8 } from '../lib/encoding.js'
import { missingMethods, missingSessionMethods, TOKEN_STORE_METHODS } from '../lib/store-methods.js'
import type { AuthOptions, ClientOptions } from '../types/index.js'

import {
  booleanOption,
  checkNames,
  cookieOption,
  durationOption,
  functionOption,
  integerOption,
  objectOption,
  stringOption,
} from './validate.js'

/** The CSRF keys of a `createAuth` configuration (see core/credentials/csrf.ts). */
function csrfOption(options: AuthOptions<object, unknown>): CsrfKeys {
  const cookies = options.cookies
  const csrfSecret = typeof cookies === 'object' && cookies !== null ? cookies.csrfSecret : undefined
  return csrfKeys({ secret: options.secret, keys: options.keys, csrfSecret })
}

// --- createAuth -----------------------------------------------------------------------------------------------

/** Every option name `createAuth` knows. */
export const AUTH_OPTION_NAMES = [
  'secret',
  'algorithm',
  'keys',
  'jwks',
  'jwksOptions',
  'keyResolver',
  'verifyProfile',
  'issuer',
  'audience',
  'accessTokenTtl',
  'refreshTokenTtl',
  'clockTolerance',
  'maxTokenLength',
  'store',
  'resolveUser',
  'claimsFor',
  'claimsSchema',
  'roleHierarchy',
  'rolePermissions',
  'onEvent',
  'reuseGrace',
  'rotateRefreshTokens',
  'realm',
  'cookies',
  'cache',
  'now',
  'clients',
  'clientId',
  'dpop',
  'maxSessionsPerUser',
  'sessionAddress',
] as const

/** `createAuth`'s options with every default applied and every value checked. */
export interface ResolvedOptions {
  realm: string
  /** Seconds. */
  accessTtl: number
  refreshTtl: number
  tolerance: number
  reuseGrace: number
  /** A family's revocation must outlive every token of the family: no descendant outlives this. */
  familyLifetime: number
  maxTokenLength: number
  /** `iss` of issued tokens: the first configured issuer. */
  issuer: string | undefined
  /** Issuers a token may come from (any one); `undefined`: any. */
  issuers: readonly string[] | undefined
  /** Which access tokens verification accepts (`verifyProfile`). */
  profile: VerifyProfile
  /** The `aud` claim issued tokens carry (as given). */
  audienceClaim: string | string[] | undefined
  /** Audiences a token may be for (any one). */
  audiences: readonly string[] | undefined
  rotateRefreshTokens: boolean
  clients: Readonly<Record<string, ClientOptions>> | undefined
  clientId: string | undefined
  cookies: ResolvedCookies | undefined
  /** Makes and checks the signed CSRF tokens of cookie mode (derived from the keys; core/credentials/csrf.ts). */
  csrf: CsrfKeys
  /** Verified-token cache size (`cache.maxEntries`); 0 = off. */
  verifiedTokenEntries: number
  store: TokenStore | undefined
  now: () => number
  /** DPoP (RFC 9449, core/dpop.ts); `undefined` when off. */
  dpop: DpopSettings | undefined
  /** Live sessions a user may hold; a login past it ends the oldest (core/sessions.ts). 0: no cap. */
  maxSessionsPerUser: number
  /** What a session record keeps of the login's address. */
  sessionAddress: 'network' | 'full' | 'none'
  /** Asymmetric signing keys are configured: their public halves are published (`/.well-known/jwks.json`). */
  publishesKeys: boolean
}

/** `dpop`, checked (core/dpop.ts reads it). */
export interface DpopSettings {
  /** Bearer use refused; token requests must carry a proof. */
  required: boolean
  /** Makes and checks the stateless nonces; `undefined` when nonces are off. */
  nonce: CsrfKeys | undefined
  /** Seconds a proof's `iat` may be from now, either way. */
  proofMaxAge: number
  algorithms: readonly string[]
  /** `algorithms`, space-separated (the challenge's `algs`). */
  algs: string
}

const DPOP_OPTION_NAMES = ['required', 'nonce', 'nonceSecret', 'proofMaxAge', 'algorithms'] as const

/** `dpop` (RFC 9449): off, on, or on with `required` / `nonce` (nonce keys derived like the CSRF keys). */
function dpopOption(options: AuthOptions<object, unknown>): DpopSettings | undefined {
  const value = options.dpop
  if (value === undefined || value === false) return undefined
  if (value !== true) {
    if (typeof value !== 'object' || value === null || Array.isArray(value))
      throw new TypeError('tokenward: `dpop` must be true, false or an object ({ required, nonce })')
    checkNames(value, DPOP_OPTION_NAMES, '`dpop`')
  }
  const o = value === true ? {} : value
  const known: readonly string[] = DPOP_ALGORITHMS
  const algorithms = o.algorithms ?? DPOP_ALGORITHMS
  if (
    !Array.isArray(algorithms) ||
    algorithms.length === 0 ||
    algorithms.some((alg) => typeof alg !== 'string' || !known.includes(alg))
  )
    throw new TypeError(
      `tokenward: \`dpop.algorithms\` must be a non-empty list of ${known.join(', ')} (asymmetric only: never none or HS*)`,
    )
  if (o.nonceSecret !== undefined) {
    const bytes = typeof o.nonceSecret === 'string' ? utf8(o.nonceSecret) : o.nonceSecret
    if (!(bytes instanceof Uint8Array) || bytes.length < 32)
      throw new TypeError('tokenward: `dpop.nonceSecret` must be at least 32 bytes')
  }
  let nonce: CsrfKeys | undefined
  if (booleanOption(o.nonce, 'dpop.nonce') === true) {
    const source = { secret: options.secret, keys: options.keys, csrfSecret: o.nonceSecret }
    nonce = csrfKeys(source, false, { key: DPOP_NONCE_KEY_LABEL, token: DPOP_NONCE_LABEL })
    if (nonce.source === 'none')
      throw new TypeError(
        'tokenward: `dpop.nonce` signs its nonces with a secret derived from `secret` or a private key, and these keys carry none: set `dpop.nonceSecret` (the same on every instance)',
      )
  }
  const unique = [...new Set(algorithms)]
  return {
    required: booleanOption(o.required, 'dpop.required') ?? false,
    nonce,
    proofMaxAge: durationOption(o.proofMaxAge, 'dpop.proofMaxAge', {
      min: 1,
      fallback: DEFAULT_DPOP_PROOF_MAX_AGE,
    }),
    algorithms: unique,
    algs: unique.join(' '),
  }
}

function checkStore(store: TokenStore | undefined): TokenStore | undefined {
  if (store === undefined) return undefined
  if (typeof store !== 'object' || store === null)
    throw new TypeError(
      'tokenward: `store` must be a TokenStore such as memoryStore() or redisStore({ client })',
    )
  const missing = missingMethods(store, TOKEN_STORE_METHODS)
  if (missing.length > 0)
    throw new TypeError(
      `tokenward: \`store\` lacks ${missing.join(', ')} — a TokenStore needs ${TOKEN_STORE_METHODS.join(', ')} ` +
        '(docs/custom-store.md; prove yours with runTokenStoreConformance from tokenward/testing)',
    )
  // Session records are optional, but all four methods or none: half a set would lose records.
  const lacking = missingSessionMethods(store)
  if (lacking.length > 0 && lacking.length < SESSION_STORE_METHODS.length)
    throw new TypeError(
      `tokenward: \`store\` has ${SESSION_STORE_METHODS.filter((m) => !lacking.includes(m)).join(', ')} but lacks ` +
        `${lacking.join(', ')} — a store keeps session ` +
        'records with all four methods or none (docs/custom-store.md)',
    )
  return store
}

/** A non-empty string or a non-empty list of distinct non-empty strings (`audience`, `issuer`). */
function nameListOption(value: string | string[] | undefined, name: string): readonly string[] | undefined {
  if (value === undefined) return undefined
  const list = [value].flat()
  if (list.length === 0 || list.some((v) => typeof v !== 'string' || v.length === 0))
    throw new TypeError(`tokenward: \`${name}\` must be a non-empty string or a non-empty list of them`)
  if (new Set(list).size !== list.length)
    throw new TypeError(
      `tokenward: \`${name}\` lists ${name === 'issuer' ? 'an issuer' : 'an audience'} twice`,
    )
  return list
}

const VERIFY_PROFILES: readonly VerifyProfile[] = ['rfc9068', 'jwt']

/**
 * `verifyProfile`. `'jwt'` accepts tokens tokenward did not issue, so it is for verify-only
 * configurations: with a key that can sign, this Auth's own tokens and anything else signed with
 * that key (an ID token, another app's JWT) would pass as access tokens.
 */
function verifyProfileOption(options: AuthOptions<object, unknown>): VerifyProfile {
  const profile = options.verifyProfile ?? 'rfc9068'
  if (!VERIFY_PROFILES.includes(profile))
    throw new TypeError(`tokenward: \`verifyProfile\` must be 'rfc9068' or 'jwt', got ${String(profile)}`)
  if (profile === 'jwt') {
    const signs = options.secret !== undefined || (options.keys ?? []).some(isPrivateKeyInput)
    if (signs)
      throw new TypeError(
        "tokenward: `verifyProfile: 'jwt'` is for verify-only configurations (third-party tokens): give `jwks`, " +
          '`keyResolver` or public `keys` — not `secret` or a private key, which would let tokens tokenward did ' +
          'not issue pass as its own',
      )
  }
  return profile
}

function clientsOption(options: AuthOptions<object, unknown>): ResolvedOptions['clients'] {
  const clients = objectOption(options.clients, 'clients')
  if (clients !== undefined) {
    for (const [id, client] of Object.entries(clients)) {
      objectOption(client, `clients.${id}`)
      checkNames(client, ['secret'], `\`clients.${id}\``)
      if (client.secret !== undefined && (typeof client.secret !== 'string' || client.secret.length < 16))
        throw new TypeError(`tokenward: \`clients.${id}.secret\` must be a string of at least 16 characters`)
    }
  }
  const id = stringOption(options.clientId, 'clientId')
  if (id !== undefined && clients !== undefined && !Object.hasOwn(clients, id))
    throw new TypeError(
      `tokenward: \`clientId\` '${id}' is not one of \`clients\` (${Object.keys(clients).join(', ')})`,
    )
  return clients
}

function cacheOption(value: AuthOptions['cache']): number {
  if (value === undefined || value === true) return 10_000
  if (value === false) return 0
  objectOption(value, 'cache')
  checkNames(value, ['maxEntries'], '`cache`')
  return integerOption(value.maxEntries, 'cache.maxEntries', { min: 1, fallback: 10_000 })
}

function checkCallbacks(options: AuthOptions<object, unknown>): void {
  functionOption(options.resolveUser, 'resolveUser')
  functionOption(options.claimsFor, 'claimsFor')
  functionOption(options.onEvent, 'onEvent')
  functionOption(options.now, 'now')
  if (
    options.claimsSchema !== undefined &&
    typeof (options.claimsSchema as { '~standard'?: { validate?: unknown } })?.['~standard']?.validate !==
      'function'
  )
    throw new TypeError('tokenward: `claimsSchema` must be a Standard Schema (zod, valibot, arktype …)')
  objectOption(options.roleHierarchy, 'roleHierarchy')
  objectOption(options.rolePermissions, 'rolePermissions')
}

/**
 * Checks `createAuth`'s options and fills in the defaults. Throws a `TypeError` naming the option
 * and the fix for every mistake.
 */
export function resolveOptions(options: AuthOptions<object, unknown>): ResolvedOptions {
  if (typeof options !== 'object' || options === null)
    throw new TypeError('tokenward: createAuth needs an options object')
  checkNames(options, AUTH_OPTION_NAMES, 'createAuth')
  const issuers = nameListOption(options.issuer, 'issuer')
  validateKeyOptions(options, issuers)
  const profile = verifyProfileOption(options)
  if (objectOption(options.jwksOptions, 'jwksOptions'))
    checkNames(
      options.jwksOptions!,
      ['algorithms', 'timeout', 'cacheMaxAge', 'cooldown', 'headers'],
      '`jwksOptions`',
    )
  checkCallbacks(options)
  const accessTtl = durationOption(options.accessTokenTtl, 'accessTokenTtl', {
    min: 1,
    fallback: DEFAULT_ACCESS_TTL,
  })
  const refreshTtl = durationOption(options.refreshTokenTtl, 'refreshTokenTtl', {
    min: 1,
    fallback: DEFAULT_REFRESH_TTL,
  })
  const tolerance = durationOption(options.clockTolerance, 'clockTolerance', {
    fallback: DEFAULT_CLOCK_TOLERANCE,
  })
  const csrf = csrfOption(options)
  return {
    realm: stringOption(options.realm, 'realm') ?? DEFAULT_REALM,
    accessTtl,
    refreshTtl,
    tolerance,
    reuseGrace: durationOption(options.reuseGrace, 'reuseGrace', { fallback: DEFAULT_REUSE_GRACE }),
    familyLifetime: Math.max(accessTtl, refreshTtl) + tolerance,
    maxTokenLength: integerOption(options.maxTokenLength, 'maxTokenLength', {
      min: 64,
      max: 1024 * 1024,
      fallback: DEFAULT_MAX_TOKEN_LENGTH,
    }),
    issuer: issuers?.[0],
    issuers,
    profile,
    audienceClaim: options.audience,
    audiences: nameListOption(options.audience, 'audience'),
    rotateRefreshTokens: booleanOption(options.rotateRefreshTokens, 'rotateRefreshTokens') ?? true,
    clients: clientsOption(options),
    clientId: options.clientId,
    cookies: cookieOption(options.cookies, 'cookies', csrf, { acceptsCsrfSecret: true }),
    csrf,
    verifiedTokenEntries: cacheOption(options.cache),
    store: checkStore(options.store),
    now: options.now ?? Date.now,
    dpop: dpopOption(options),
    maxSessionsPerUser: integerOption(options.maxSessionsPerUser, 'maxSessionsPerUser', {
      min: 0,
      max: 100_000,
      fallback: DEFAULT_MAX_SESSIONS_PER_USER,
    }),
    sessionAddress: sessionAddressOption(options.sessionAddress),
    publishesKeys: (options.keys ?? []).some((key) => !String(key.alg ?? '').startsWith('HS')),
  }
}

function sessionAddressOption(value: unknown): ResolvedOptions['sessionAddress'] {
  if (value === undefined) return 'network'
  if (value === 'network' || value === 'full' || value === 'none') return value
  throw new TypeError("tokenward: `sessionAddress` must be 'network' (default), 'full' or 'none'")
}
