/**
 * The shapes of a request's credentials, as `authenticate` takes them and as
 * credentials/index.ts reads them (re-exported by types/index.ts).
 */

/** Request headers as a Fetch `Headers` or a Node-style record (lower-case names). */
export type HeadersInput =
  | { get(name: string): string | null }
  | Record<string, string | string[] | undefined>

/**
 * Where the credentials of a request came from: the `Authorization` header (or a token string),
 * the access cookie, or a place the application chose (an adapter's `getToken`, `{ token }`).
 */
export type CredentialSource = 'header' | 'cookie' | 'custom'

/**
 * Credentials to authenticate: a Fetch `Request`, a raw token string, or the header values an
 * adapter read from its framework's request.
 */
export type CredentialsInput =
  | string
  | Request
  | {
      /** The request headers (Fetch `Headers` or a Node-style record); `authorization`, `cookie` and the CSRF header are read from them. */
      headers: HeadersInput
      /** The HTTP method (cookie mode checks CSRF on unsafe methods). */
      method?: string | undefined
      /** The request URL, scheme + host + path (RFC 9449 `htu`); read only for `Authorization: DPoP`. */
      url?: string | undefined
    }
  | {
      /** The `Authorization` header value. */
      authorization?: string | null | undefined
      /** The `Cookie` header value (read only in cookie mode). */
      cookie?: string | null | undefined
      /** The HTTP method (cookie mode checks CSRF on unsafe methods). */
      method?: string | undefined
      /** The CSRF header value (cookie mode). */
      csrfToken?: string | null | undefined
      /** The `DPoP` proof header value (RFC 9449). */
      dpop?: string | null | undefined
      /** The request URL, scheme + host + path (RFC 9449 `htu`); read only for `Authorization: DPoP`. */
      url?: string | undefined
    }
  | {
      /** A token the application found itself (an adapter's `getToken`): source `custom`, no CSRF check. */
      token: string
    }
