/**
 * Cookie mode: names and attributes, parsing and serialising (via the `cookie` package), and the
 * signed double-submit CSRF check (the token itself is made in csrf.ts).
 */
import { parse, type SerializeOptions, serialize } from 'cookie'
import {
  COOKIE_PREFIX_HOST,
  COOKIE_PREFIX_SECURE,
  DEFAULT_COOKIE_NAMES,
  DEFAULT_CSRF_HEADER,
} from '../lib/constants.js'
import { decodeBase64urlText } from '../lib/encoding.js'
import { type CsrfKeys, processCsrfKeys } from './csrf.js'

/** Cookie mode settings (`cookies: true` takes every default). */
export interface CookieOptions {
  /**
   * Cookie names. Defaults: `__Host-tw_access`, `__Secure-tw_refresh`, `__Host-tw_csrf` when the
   * cookies are `Secure` (the default), `tw_access`, `tw_refresh`, `tw_csrf` when not. `__Host-`
   * needs `Path=/` and no `Domain`, so with a `domain` or `path` the access and CSRF cookies take
   * `__Secure-`; the refresh cookie is scoped to the auth routes' path, so it is always `__Secure-`.
   */
  names?: { access?: string; refresh?: string; csrf?: string }
  /** `Domain` attribute (default: none, i.e. host-only). */
  domain?: string | undefined
  /** `Path` of the access and CSRF cookies (default `/`). The refresh cookie is scoped to the auth routes. */
  path?: string
  /** `SameSite` (default `strict`). */
  sameSite?: 'strict' | 'lax' | 'none'
  /** `Secure` (default `true`; browsers accept Secure cookies on http://localhost). */
  secure?: boolean
  /** The request header that must carry the CSRF token on unsafe methods (default `x-csrf-token`). */
  csrfHeader?: string
  /**
   * The secret the CSRF tokens are signed with (at least 32 bytes). Only on `createAuth`'s
   * `cookies`, and only needed when the keys carry no secret to derive it from (a verify-only
   * service reading the cookies, or keys given as CryptoKeys): every service that reads the
   * cookies must then share it. Default: derived from `secret` / `keys` (see docs/security.md).
   */
  csrfSecret?: string | Uint8Array
  /**
   * Put the access token in the JSON body of the login, refresh and step-up answers too (default
   * `false`: the body carries no token, so page JavaScript — an XSS included — never sees one).
   * Only for pages that call ANOTHER origin with `Authorization: Bearer` (docs/security.md).
   */
  accessTokenInBody?: boolean
  /**
   * Origins besides the auth routes' own whose pages may sign in (session invariant S5): a login,
   * token or body-token refresh request in cookie mode must come from the same origin, or from one
   * of these (e.g. `https://app.example.com` for an API at `https://api.example.com`).
   */
  trustedOrigins?: readonly string[]
}

/** Cookie settings with every default filled in. */
export interface ResolvedCookies {
  names: { access: string; refresh: string; csrf: string }
  domain: string | undefined
  path: string
  sameSite: 'strict' | 'lax' | 'none'
  secure: boolean
  csrfHeader: string
  /** Makes and checks the signed CSRF tokens (the Auth's keys). */
  csrf: CsrfKeys
  accessTokenInBody: boolean
  trustedOrigins: readonly string[]
}

// Settings this module resolved: resolving them again returns them as they are (no allocation).
const resolved = new WeakSet<object>()

/** True for settings {@link resolveCookies} made. */
export function isResolvedCookies(value: unknown): value is ResolvedCookies {
  return typeof value === 'object' && value !== null && resolved.has(value)
}

/** The default names for these attributes (see {@link CookieOptions.names}). */
export function defaultCookieNames(
  secure: boolean,
  domain: string | undefined,
  path: string,
): ResolvedCookies['names'] {
  const secureOnly = secure ? COOKIE_PREFIX_SECURE : ''
  const hostOnly = secure && domain === undefined && path === '/' ? COOKIE_PREFIX_HOST : secureOnly
  return {
    access: hostOnly + DEFAULT_COOKIE_NAMES.access,
    refresh: secureOnly + DEFAULT_COOKIE_NAMES.refresh,
    csrf: hostOnly + DEFAULT_COOKIE_NAMES.csrf,
  }
}

/**
 * Cookie settings with every default filled in; `undefined` when cookie mode is off. `csrf` is the
 * Auth's CSRF keys (a random per-process key without one). Already-resolved settings are returned
 * as they are.
 */
export function resolveCookies(
  option: boolean | CookieOptions | ResolvedCookies | undefined,
  csrf?: CsrfKeys,
): ResolvedCookies | undefined {
  if (!option) return undefined
  if (resolved.has(option as object)) return option as ResolvedCookies
  const o: CookieOptions = option === true ? {} : option
  const secure = o.secure ?? true
  const path = o.path ?? '/'
  const out: ResolvedCookies = {
    names: { ...defaultCookieNames(secure, o.domain, path), ...o.names },
    domain: o.domain,
    path,
    sameSite: o.sameSite ?? 'strict',
    secure,
    csrfHeader: (o.csrfHeader ?? DEFAULT_CSRF_HEADER).toLowerCase(),
    csrf: csrf ?? processCsrfKeys(),
    accessTokenInBody: o.accessTokenInBody === true,
    trustedOrigins: [...(o.trustedOrigins ?? [])],
  }
  resolved.add(out)
  return out
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

/**
 * The session (`fid`) a token names, read from its payload WITHOUT checking the signature: the
 * CSRF check binds the header to the session of the token cookie presented, and that token's
 * signature is checked right after (a forged token fails there).
 */
export function sessionOf(token: string): string | undefined {
  const first = token.indexOf('.')
  const second = token.indexOf('.', first + 1)
  if (first < 1 || second < 0 || token.length > 16_384) return undefined
  try {
    const fid = (JSON.parse(decodeBase64urlText(token.slice(first + 1, second))) as { fid?: unknown }).fid
    return typeof fid === 'string' && fid.length > 0 ? fid : undefined
  } catch {
    return undefined
  }
}

/**
 * The signed double-submit check: the header must carry the CSRF token of the session named by
 * the token cookie. A cross-site page can make the browser send the cookies, but it can neither
 * read the CSRF cookie nor compute the token of someone else's session; a CSRF cookie planted from
 * a sibling subdomain does not help, since the value is never compared with the cookie.
 */
export function csrfValid(
  cookies: ResolvedCookies,
  token: string,
  given: string | null | undefined,
): boolean {
  if (!given) return false
  const fid = sessionOf(token)
  return fid !== undefined && cookies.csrf.matches(fid, given)
}
