import {
  type CookieOptions,
  isResolvedCookies,
  type ResolvedCookies,
  resolveCookies,
} from '../credentials/cookies.js'
import type { CsrfKeys } from '../credentials/csrf.js'
import { type Duration, toSeconds } from '../lib/duration.js'
import { utf8 } from '../lib/encoding.js'

/** Edit distance, for "did you mean" hints. */
function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i)
  for (let i = 1; i <= a.length; i++) {
    let diagonal = row[0]!
    row[0] = i
    for (let j = 1; j <= b.length; j++) {
      const above = row[j]!
      const cost = a[i - 1]!.toLowerCase() === b[j - 1]!.toLowerCase() ? 0 : 1
      row[j] = Math.min(above + 1, row[j - 1]! + 1, diagonal + cost)
      diagonal = above
    }
  }
  return row[b.length]!
}

/** The candidate closest to `name`, when it is close enough to be a likely typo. */
export function closestName(name: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined
  let bestDistance = Number.POSITIVE_INFINITY
  for (const candidate of candidates) {
    const d = distance(name, candidate)
    if (d < bestDistance) {
      best = candidate
      bestDistance = d
    }
  }
  if (best === undefined) return undefined
  const a = name.toLowerCase()
  const b = best.toLowerCase()
  const close =
    candidates.length === 1 ||
    bestDistance <= Math.max(2, Math.floor(name.length / 3)) ||
    a.startsWith(b) ||
    b.startsWith(a)
  return close ? best : undefined
}

/** Throws a `TypeError` naming the closest valid name for every unknown key of `given`. */
export function checkNames(given: object, known: readonly string[], where: string): void {
  for (const name of Object.keys(given)) {
    if (known.includes(name)) continue
    const hint = closestName(name, known)
    throw new TypeError(
      `tokenward: unknown option \`${name}\` in ${where}` +
        (hint ? ` — did you mean \`${hint}\`?` : ` (valid: ${known.join(', ')})`),
    )
  }
}

/** A plain options object (or `undefined`); anything else is a `TypeError`. */
export function objectOption<T extends object>(value: T | undefined, name: string): T | undefined {
  if (value === undefined) return undefined
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new TypeError(`tokenward: \`${name}\` must be an object`)
  return value
}

/** An integer in `[min, max]`, or the default when not given. `NaN`, `Infinity` and fractions throw. */
export function integerOption(
  value: number | undefined,
  name: string,
  { min, max = Number.MAX_SAFE_INTEGER, fallback }: { min: number; max?: number; fallback: number },
): number {
  if (value === undefined) return fallback
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max)
    throw new TypeError(
      `tokenward: \`${name}\` must be a whole number from ${min}${max === Number.MAX_SAFE_INTEGER ? '' : ` to ${max}`}, got ${String(value)}`,
    )
  return value
}

/** A duration in seconds, at least `min` (default 0), or the default when not given. */
export function durationOption(
  value: Duration | undefined,
  name: string,
  { min = 0, fallback }: { min?: number; fallback: Duration },
): number {
  const seconds = toSeconds(value ?? fallback, name)
  if (seconds < min) throw new TypeError(`tokenward: \`${name}\` must be at least ${min} s, got ${seconds} s`)
  return seconds
}

/** A function, or `undefined`. */
export function functionOption<F>(value: F | undefined, name: string): F | undefined {
  if (value !== undefined && typeof value !== 'function')
    throw new TypeError(`tokenward: \`${name}\` must be a function, got ${typeof value}`)
  return value
}

/** `true`, `false` or `undefined`; `where` names the options it is one of (`the tokenward plugin`). */
export function booleanOption(value: unknown, name: string, where?: string): boolean | undefined {
  if (value !== undefined && typeof value !== 'boolean')
    throw new TypeError(
      `tokenward: \`${name}\`${where === undefined ? '' : ` of ${where}`} must be true or false, got ${String(value)}`,
    )
  return value
}

const COOKIE_OPTION_NAMES = [
  'names',
  'domain',
  'path',
  'sameSite',
  'secure',
  'csrfHeader',
  'csrfSecret',
  'accessTokenInBody',
  'trustedOrigins',
] as const
const SAME_SITE = ['strict', 'lax', 'none']
// RFC 6265 §4.1.1: a cookie name is an HTTP token.
const COOKIE_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/

/** RFC 6265bis §4.1.3: what the `__Host-` and `__Secure-` name prefixes demand. */
function checkCookieNames(cookies: ResolvedCookies, name: string): void {
  for (const [which, cookieName] of Object.entries(cookies.names)) {
    const where = `\`${name}.names.${which}\``
    if (typeof cookieName !== 'string' || !COOKIE_NAME.test(cookieName))
      throw new TypeError(`tokenward: ${where} must be a cookie name (letters, digits and !#$%&'*+-.^_\`|~)`)
    const lower = cookieName.toLowerCase()
    if (lower.startsWith('__host-')) {
      if (which === 'refresh')
        throw new TypeError(
          `tokenward: ${where} cannot start with __Host-: the refresh cookie is scoped to the auth routes' path and __Host- cookies must have Path=/ (use __Secure-)`,
        )
      if (!cookies.secure || cookies.domain !== undefined || cookies.path !== '/')
        throw new TypeError(
          `tokenward: ${where} starts with __Host-, which needs secure cookies, no \`domain\` and path '/'`,
        )
    }
    if (lower.startsWith('__secure-') && !cookies.secure)
      throw new TypeError(`tokenward: ${where} starts with __Secure-, which needs secure cookies`)
  }
}

/**
 * Cookie mode settings, checked and with every default filled in; `undefined` when off. `csrf` is
 * the Auth's CSRF keys; `csrfSecret` is accepted only where the keys are made (`createAuth`).
 */
export function cookieOption(
  value: boolean | CookieOptions | undefined,
  name: string,
  csrf?: CsrfKeys,
  { acceptsCsrfSecret = false }: { acceptsCsrfSecret?: boolean } = {},
): ResolvedCookies | undefined {
  if (isResolvedCookies(value)) return value
  if (value !== undefined && typeof value !== 'boolean') {
    objectOption(value, name)
    checkNames(value, COOKIE_OPTION_NAMES, `\`${name}\``)
    if (value.names !== undefined) {
      objectOption(value.names, `${name}.names`)
      checkNames(value.names, ['access', 'refresh', 'csrf'], `\`${name}.names\``)
    }
    if (value.sameSite !== undefined && !SAME_SITE.includes(value.sameSite))
      throw new TypeError(`tokenward: \`${name}.sameSite\` must be 'strict', 'lax' or 'none'`)
    booleanOption(value.accessTokenInBody, `${name}.accessTokenInBody`)
    if (
      value.trustedOrigins !== undefined &&
      (!Array.isArray(value.trustedOrigins) ||
        !value.trustedOrigins.every((o) => typeof o === 'string' && /^https?:\/\/[^/]+$/.test(o)))
    )
      throw new TypeError(
        `tokenward: \`${name}.trustedOrigins\` must be a list of origins such as "https://app.example.com" (scheme and host, no path)`,
      )
    if (value.sameSite === 'none' && value.secure === false)
      throw new TypeError(`tokenward: \`${name}\` with sameSite 'none' needs secure cookies`)
    if (value.csrfSecret !== undefined) {
      if (!acceptsCsrfSecret)
        throw new TypeError(
          `tokenward: \`${name}.csrfSecret\` belongs in createAuth's \`cookies\` option (every reader of the cookies must share it)`,
        )
      const bytes = typeof value.csrfSecret === 'string' ? utf8(value.csrfSecret) : value.csrfSecret
      if (!(bytes instanceof Uint8Array) || bytes.length < 32)
        throw new TypeError(`tokenward: \`${name}.csrfSecret\` must be at least 32 bytes`)
    }
  }
  const cookies = resolveCookies(value, csrf)
  if (cookies === undefined) return undefined
  if (typeof value === 'object') checkCookieNames(cookies, name)
  if (csrf?.source === 'none')
    throw new TypeError(
      `tokenward: cookie mode signs its CSRF tokens with a secret derived from \`secret\` or a private key, and these keys carry none (a verify-only configuration, or CryptoKeys): set createAuth's \`cookies.csrfSecret\` (the same on every service that reads the cookies)`,
    )
  return cookies
}

/** A non-empty string, or `undefined`. */
export function stringOption(value: string | undefined, name: string): string | undefined {
  if (value !== undefined && (typeof value !== 'string' || value.length === 0))
    throw new TypeError(`tokenward: \`${name}\` must be a non-empty string`)
  return value
}
