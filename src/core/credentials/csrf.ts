/**
 * The signed double-submit CSRF token of cookie mode (OWASP CSRF Prevention Cheat Sheet, "signed
 * double-submit cookie"): `base64url(HMAC-SHA256(K, "tokenward/csrf/v1:" + fid))`, where `fid` is
 * the session's token family id (the same in the access and the refresh token, and across
 * rotations) and `K` is derived from the Auth's own secret key material. A value planted from a
 * sibling subdomain is useless: it is checked against the session named by the HttpOnly token
 * cookie, and only the server can make the value for a session.
 *
 * `K` is derived deterministically — `HMAC-SHA256(material, "tokenward/csrf-key/v1")` — from
 * `cookies.csrfSecret`, else the HMAC `secret`, else every configured key that carries secret
 * material (HMAC secrets, private PEM or JWK keys), so every instance sharing the keys makes and
 * accepts the same tokens, and a token made before a key rotation stays valid while the old key
 * is still configured. Without such material (a verify-only or CryptoKey-only configuration)
 * `createAuth` asks for `cookies.csrfSecret` when cookie mode is on.
 *
 * Synchronous on purpose: the check runs inside authenticate's synchronous fast path and in the
 * route helpers. The HMAC is node:crypto's where the runtime has it, else @noble/hashes' (edge
 * workers, where Web Crypto is async only): lib/native.ts.
 */

import type { KeyOptions } from '../keys/index.js'
import { CSRF_KEY_LABEL, CSRF_TOKEN_LABEL } from '../lib/constants.js'
import { encodeBase64url, utf8 } from '../lib/encoding.js'
import { hmacSha256, type Mac, safeEqual } from '../lib/native.js'

/** Makes and checks the CSRF tokens of one Auth. */
export interface CsrfKeys {
  /**
   * `keys`: derived from the configured key material; `none`: the configuration has none (cookie
   * mode then needs `cookies.csrfSecret`); `process`: a random per-process key, for cookie settings
   * resolved outside any Auth.
   */
  readonly source: 'keys' | 'none' | 'process'
  /** The CSRF token of session `fid`. */
  tokenFor(fid: string): string
  /** True when `given` is the CSRF token of session `fid` (under any configured key), in constant time. */
  matches(fid: string, given: string): boolean
}

/** Where the key material comes from: `createAuth`'s key options and `cookies.csrfSecret`. */
export interface CsrfKeySource extends Pick<KeyOptions, 'secret' | 'keys'> {
  csrfSecret?: string | Uint8Array | undefined
}

// --- the key material --------------------------------------------------------------------------------

const bytesOf = (value: string | Uint8Array) => (typeof value === 'string' ? utf8(value) : value)

/** The secret part of one configured key, if it has one (public keys and CryptoKeys have none here). */
function secretOf(input: NonNullable<KeyOptions['keys']>[number]): Uint8Array | undefined {
  const jwkSecret = (jwk: { d?: unknown; k?: unknown }) =>
    typeof jwk.d === 'string' ? utf8(jwk.d) : typeof jwk.k === 'string' ? utf8(jwk.k) : undefined
  if (typeof (input as { kty?: unknown }).kty === 'string') return jwkSecret(input as { d?: unknown })
  const { key } = input as { key?: unknown }
  if (key instanceof Uint8Array) return key
  if (typeof key === 'string') {
    if (String(input.alg).startsWith('HS')) return utf8(key)
    // A private PEM key; whitespace and line endings differ between copies of one key.
    return key.includes('PRIVATE KEY') ? utf8(key.replace(/\s+/g, '')) : undefined
  }
  if (typeof key === 'object' && key !== null && typeof (key as { kty?: unknown }).kty === 'string')
    return jwkSecret(key as { d?: unknown })
  return undefined
}

/** Every secret the CSRF keys can be derived from, the signing one first. */
function materialOf(source: CsrfKeySource): Uint8Array[] {
  if (source.csrfSecret !== undefined) return [bytesOf(source.csrfSecret)]
  if (source.secret !== undefined) return [bytesOf(source.secret)]
  const out: Uint8Array[] = []
  for (const key of source.keys ?? []) {
    const secret = secretOf(key)
    if (secret) out.push(secret)
  }
  return out
}

/**
 * The CSRF keys of one Auth. Nothing is computed until the first token is made or checked.
 * `labels` separate other uses of the same key material (the DPoP nonces of core/dpop.ts).
 */
export function csrfKeys(
  source: CsrfKeySource,
  perProcess = false,
  labels: { key: string; token: string } = { key: CSRF_KEY_LABEL, token: CSRF_TOKEN_LABEL },
): CsrfKeys {
  const material = materialOf(source)
  const derived = material.length > 0
  let macs: Mac[] | undefined
  const keys = (): Mac[] => {
    if (macs) return macs
    const secrets = derived ? material : [crypto.getRandomValues(new Uint8Array(32))]
    const label = utf8(labels.key)
    macs = secrets.map((secret) => hmacSha256(hmacSha256(secret)(label)))
    return macs
  }
  const tokenWith = (mac: Mac, fid: string) => encodeBase64url(mac(utf8(labels.token + fid)))
  return {
    source: derived ? 'keys' : perProcess ? 'process' : 'none',
    tokenFor: (fid) => tokenWith(keys()[0]!, fid),
    matches(fid, given) {
      let ok = false
      for (const mac of keys()) ok = safeEqual(tokenWith(mac, fid), given) || ok
      return ok
    },
  }
}

let processKeys: CsrfKeys | undefined

/**
 * Keys for cookie settings resolved outside any Auth (an Auth that `createAuth` did not make): a
 * random per-process key, so tokens made here do not survive a restart or reach another instance.
 */
export function processCsrfKeys(): CsrfKeys {
  processKeys ??= csrfKeys({}, true)
  return processKeys
}
