/** Cookie mode: names and attributes, parsing and serialising (via the `cookie` package). */
import { parse, type SerializeOptions, serialize } from 'cookie'
import { DEFAULT_COOKIE_NAMES, DEFAULT_CSRF_HEADER } from './constants.js'

/** Cookie mode settings (`cookies: true` takes every default). */
export interface CookieOptions {
  /** Cookie names (defaults `tw_access`, `tw_refresh`, `tw_csrf`). */
  names?: { access?: string; refresh?: string; csrf?: string }
  /** `Domain` attribute (default: none, i.e. host-only). */
  domain?: string
  /** `Path` of the access and CSRF cookies (default `/`). The refresh cookie is scoped to the auth routes. */
  path?: string
  /** `SameSite` (default `strict`). */
  sameSite?: 'strict' | 'lax' | 'none'
  /** `Secure` (default `true`; browsers accept Secure cookies on http://localhost). */
  secure?: boolean
  /** The request header that must echo the CSRF cookie on unsafe methods (default `x-csrf-token`). */
  csrfHeader?: string
}

/** Cookie settings with every default filled in. */
export interface ResolvedCookies {
  names: { access: string; refresh: string; csrf: string }
  domain: string | undefined
  path: string
  sameSite: 'strict' | 'lax' | 'none'
  secure: boolean
  csrfHeader: string
}

export function resolveCookies(option: boolean | CookieOptions | undefined): ResolvedCookies | undefined {
  if (!option) return undefined
  const o = option === true ? {} : option
  return {
    names: { ...DEFAULT_COOKIE_NAMES, ...o.names },
    domain: o.domain,
    path: o.path ?? '/',
    sameSite: o.sameSite ?? 'strict',
    secure: o.secure ?? true,
    csrfHeader: (o.csrfHeader ?? DEFAULT_CSRF_HEADER).toLowerCase(),
  }
}

/** Parses a `Cookie` header; malformed pairs are skipped, never thrown. */
export function parseCookies(header: string | null | undefined): Record<string, string | undefined> {
  if (!header) return {}
  try {
    return parse(header)
  } catch {
    return {}
  }
}

/** One `Set-Cookie` value. `maxAge` 0 clears the cookie. */
export function setCookie(
  cookies: ResolvedCookies,
  name: string,
  value: string,
  attributes: { maxAge: number; path?: string; httpOnly?: boolean },
): string {
  const options: SerializeOptions = {
    httpOnly: attributes.httpOnly ?? true,
    secure: cookies.secure,
    sameSite: cookies.sameSite,
    path: attributes.path ?? cookies.path,
    maxAge: Math.max(0, Math.floor(attributes.maxAge)),
  }
  if (cookies.domain) options.domain = cookies.domain
  if (attributes.maxAge <= 0) options.expires = new Date(0)
  return serialize(name, value, options)
}

/** Constant-time string comparison. */
function safeEqual(a: string, b: string): boolean {
  if (a.length !== b.length) return false
  let diff = 0
  for (let i = 0; i < a.length; i++) diff |= a.charCodeAt(i) ^ b.charCodeAt(i)
  return diff === 0
}

/**
 * Double-submit CSRF check: the header must echo the CSRF cookie. A cross-site form can send the
 * cookies but cannot read the CSRF cookie to copy it into a header.
 */
export function csrfMatches(
  cookies: ResolvedCookies,
  cookieHeader: string | null | undefined,
  given: string | null | undefined,
): boolean {
  const expected = parseCookies(cookieHeader)[cookies.names.csrf]
  return Boolean(expected && given && safeEqual(expected, given))
}
