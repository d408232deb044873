/**
 * Credentials in: the access token of a request (RFC 6750 Bearer header, or the access cookie in
 * cookie mode, or a token the application found itself), the signed double-submit CSRF check for
 * cookie-authenticated unsafe methods, and header access over both header shapes (Fetch
 * `Headers`, Node's record).
 */

import { AuthError } from '../errors.js'
import { SAFE_METHODS } from '../lib/constants.js'
import { csrfValid, parseCookies, type ResolvedCookies } from './cookies.js'
import type { CredentialSource, CredentialsInput, HeadersInput } from './types.js'

/** Reads one header from either header shape. */
export function getHeader(headers: HeadersInput, name: string): string | undefined {
  if (typeof (headers as { get?: unknown }).get === 'function') {
    return (headers as { get(name: string): string | null }).get(name) ?? undefined
  }
  const value = (headers as Record<string, string | string[] | undefined>)[name.toLowerCase()]
  return Array.isArray(value) ? value.join(', ') : value
}

/** Where the access token of a request was found, and what the CSRF check needs. */
export interface Credentials {
  token: string
  source: CredentialSource
  method: string | undefined
  csrfToken: string | null | undefined
  cookie: string | null | undefined
  /** The token came as `Authorization: DPoP <token>` (RFC 9449 §7.1): it needs a proof. */
  dpop: boolean
}

const isSpace = (code: number) => code === 32 || code === 9

/**
 * The token of an `Authorization: Bearer <token>` value (RFC 6750 §2.1: `Bearer` 1*SP b64token,
 * scheme case-insensitive, exactly one token) — or of `DPoP <token>` (RFC 9449 §7.1, same
 * syntax); `undefined` when the scheme is another. Surrounding whitespace is tolerated.
 */
function schemeToken(
  header: string,
  scheme: 'Bearer' | 'DPoP',
  lower: 'bearer' | 'dpop',
): string | undefined {
  const length = scheme.length
  let start = 0
  let end = header.length
  while (start < end && isSpace(header.charCodeAt(start))) start++
  while (end > start && isSpace(header.charCodeAt(end - 1))) end--
  if (end - start < length) return undefined
  const given = header.slice(start, start + length)
  if (given !== scheme && given.toLowerCase() !== lower) return undefined
  let i = start + length
  if (i < end && header.charCodeAt(i) !== 32) return undefined // e.g. "Bearerx" is another scheme
  while (i < end && header.charCodeAt(i) === 32) i++
  const token = header.slice(i, end)
  // Exactly one token. Its characters are checked by the token parser (base64url only, stricter
  // than b64token) — or were, for a token already in the verified-token cache.
  if (i === start + length || token.includes(' ') || token.includes('\t'))
    throw new AuthError(
      'token_malformed',
      `the Authorization header must be "${scheme} <token>" with exactly one token`,
    )
  return token
}

/** Pulls the access token and its source from the input. Throws `token_missing` / `token_malformed`. */
function extractCredentials(input: CredentialsInput, cookies: ResolvedCookies | undefined): Credentials {
  if (typeof input === 'string')
    return {
      token: input,
      source: 'header',
      method: undefined,
      csrfToken: undefined,
      cookie: undefined,
      dpop: false,
    }
  let authorization: string | null | undefined
  let cookie: string | null | undefined
  let method: string | undefined
  let csrfToken: string | null | undefined
  if (typeof input === 'object' && input !== null && typeof (input as Request).headers?.get === 'function') {
    const request = input as Request
    authorization = request.headers.get('authorization')
    cookie = request.headers.get('cookie')
    method = request.method
    csrfToken = cookies ? request.headers.get(cookies.csrfHeader) : undefined
  } else if (typeof input === 'object' && input !== null && 'headers' in input && input.headers) {
    const { headers } = input
    authorization = getHeader(headers, 'authorization')
    cookie = getHeader(headers, 'cookie')
    method = input.method
    csrfToken = cookies ? getHeader(headers, cookies.csrfHeader) : undefined
  } else if (typeof input === 'object' && input !== null) {
    // A token the application found itself (an adapter's getToken): no header, no cookie, no CSRF.
    const token = (input as { token?: unknown }).token
    if (typeof token === 'string')
      return {
        token,
        source: 'custom',
        method: undefined,
        csrfToken: undefined,
        cookie: undefined,
        dpop: false,
      }
    const o = input as {
      authorization?: string | null
      cookie?: string | null
      method?: string
      csrfToken?: string | null
    }
    authorization = o.authorization
    cookie = o.cookie
    method = o.method
    csrfToken = o.csrfToken
  }
  if (typeof authorization === 'string' && authorization.length > 0) {
    const token = schemeToken(authorization, 'Bearer', 'bearer')
    if (token !== undefined) return { token, source: 'header', method, csrfToken, cookie, dpop: false }
    // Only a header of another scheme pays for this look.
    const bound = schemeToken(authorization, 'DPoP', 'dpop')
    if (bound !== undefined) return { token: bound, source: 'header', method, csrfToken, cookie, dpop: true }
  }
  if (cookies && cookie) {
    const token = parseCookies(cookie)[cookies.names.access]
    if (token) return { token, source: 'cookie', method, csrfToken, cookie, dpop: false }
  }
  throw new AuthError('token_missing', 'no bearer token was presented')
}

/**
 * RFC 9110 §9.2.1: only GET, HEAD and OPTIONS are safe; every other method changes state. An
 * unknown method (a caller that did not say) counts as unsafe: S5 fails closed when it cannot tell.
 */
function isUnsafe(method: string | undefined): boolean {
  return method === undefined || (!SAFE_METHODS.has(method) && !SAFE_METHODS.has(method.toUpperCase()))
}

const JSON_BODY = /^application\/(?:[\w.+-]*\+)?json\s*(?:;|$)/i

/**
 * Session invariant S5 for a request that signs in (cookie mode: the answer sets the session
 * cookies, so a cross-site page must not make the browser sign in as someone else — login CSRF):
 * it must show it comes from the app's own pages, or throws 403 `csrf_failed`. In order:
 *
 * - `Sec-Fetch-Site` (the browser's own verdict, which page JavaScript cannot set): `same-origin`
 *   or `none` (typed in, a bookmark); `same-site` / `cross-site` only from a trusted origin;
 * - else `Origin`: the request's own origin (from `url`) or a trusted one;
 * - else, neither (a client that is no modern browser, or an old one): a JSON body, which a
 *   cross-site page cannot send without a CORS preflight; anything else cannot be told apart from a
 *   cross-site form post, and is refused.
 */
export function checkSameOrigin(
  headers: HeadersInput,
  url: string | undefined,
  trustedOrigins: readonly string[],
): void {
  const site = getHeader(headers, 'sec-fetch-site')?.toLowerCase()
  const origin = getHeader(headers, 'origin')
  const trusted = origin !== undefined && trustedOrigins.includes(origin)
  let ok: boolean
  if (site !== undefined) ok = site === 'same-origin' || site === 'none' || trusted
  else if (origin !== undefined) ok = trusted || (url !== undefined && origin === originOf(url))
  else ok = JSON_BODY.test(getHeader(headers, 'content-type') ?? '')
  if (!ok)
    throw new AuthError(
      'csrf_failed',
      "a sign-in in cookie mode must come from the app's own pages (Sec-Fetch-Site, Origin, or a JSON body)",
    )
}

function originOf(url: string): string | undefined {
  try {
    return new URL(url).origin
  } catch {
    return undefined
  }
}

/**
 * The access token of a request, with the CSRF rule applied: in cookie mode, a request
 * authenticated by the cookie with any method but GET, HEAD and OPTIONS must carry the signed CSRF
 * token of the cookie's session in the CSRF header (403 `csrf_failed` otherwise). The token's
 * signature is checked right after, by the caller.
 */
export function tokenOf(input: CredentialsInput, cookies: ResolvedCookies | undefined): Credentials {
  const credentials = extractCredentials(input, cookies)
  if (
    credentials.source === 'cookie' &&
    cookies &&
    isUnsafe(credentials.method) &&
    !csrfValid(cookies, credentials.token, credentials.csrfToken)
  ) {
    throw new AuthError('csrf_failed', 'a cookie-authenticated request must carry the CSRF header')
  }
  return credentials
}
