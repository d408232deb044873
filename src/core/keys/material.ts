/**
 * Key material helpers: what a value is (JWK, CryptoKey, PEM, DER), HMAC secret length, public
 * members, RSA key size (RFC 7518 §3.3), and the index of a key set.
 */
import type { JWK } from 'jose'
import { ASYMMETRIC_ALGORITHMS, HMAC_ALGORITHMS } from '../lib/constants.js'
import { decodeBase64url, utf8 } from '../lib/encoding.js'
import type { Algorithm } from './signature.js'
import type { AsymmetricAlgorithm, HmacAlgorithm, KeySet, ResolvedKey } from './types.js'
export const MIN_HMAC_BYTES: Record<HmacAlgorithm, number> = { HS256: 32, HS384: 48, HS512: 64 }
export const PUBLIC_MEMBERS: Record<string, readonly string[]> = {
  RSA: ['kty', 'n', 'e'],
  EC: ['kty', 'crv', 'x', 'y'],
  OKP: ['kty', 'crv', 'x'],
}

export const isHmac = (alg: string): alg is HmacAlgorithm =>
  (HMAC_ALGORITHMS as readonly string[]).includes(alg)
export const isAsymmetric = (alg: string): alg is AsymmetricAlgorithm =>
  (ASYMMETRIC_ALGORITHMS as readonly string[]).includes(alg)

export function secretBytes(secret: string | Uint8Array, alg: HmacAlgorithm, what: string): Uint8Array {
  const bytes = typeof secret === 'string' ? utf8(secret) : secret
  const min = MIN_HMAC_BYTES[alg]
  // RFC 7518 §3.2: an HMAC key must be at least as long as the hash output.
  if (!(bytes instanceof Uint8Array) || bytes.length < min) {
    throw new TypeError(
      `tokenward: ${what} must be at least ${min} bytes for ${alg} (got ${bytes instanceof Uint8Array ? bytes.length : 'none'}). ` +
        `Generate one with: node -e "console.log(require('crypto').randomBytes(${min}).toString('base64url'))"`,
    )
  }
  return bytes
}

export function publicOnly(jwk: JWK): JWK {
  const members = PUBLIC_MEMBERS[jwk.kty ?? ''] ?? []
  const source = jwk as Record<string, unknown>
  const out: Record<string, unknown> = {}
  for (const m of members) if (source[m] !== undefined) out[m] = source[m]
  return out as JWK
}

export const isJwk = (value: unknown): value is JWK =>
  typeof value === 'object' &&
  value !== null &&
  !(value instanceof Uint8Array) &&
  typeof (value as JWK).kty === 'string'
export const isCryptoKey = (value: unknown): value is CryptoKey =>
  typeof CryptoKey !== 'undefined' && value instanceof CryptoKey

// --- key material that is not what it claims to be -------------------------------------------------------

/** DER object identifiers of public-key algorithms (rsaEncryption, RSASSA-PSS, id-ecPublicKey, Ed25519, Ed448, X25519, X448). */
export const KEY_OIDS: readonly (readonly number[])[] = [
  [0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01],
  [0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0a],
  [0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01],
  [0x2b, 0x65, 0x70],
  [0x2b, 0x65, 0x71],
  [0x2b, 0x65, 0x6e],
  [0x2b, 0x65, 0x6f],
]

/** A DER SEQUENCE spanning all of `bytes` that names a public-key algorithm: SPKI, PKCS#8 or a certificate. */
export function isDerKey(bytes: Uint8Array): boolean {
  if (bytes.length < 24 || bytes[0] !== 0x30) return false
  const first = bytes[1] as number
  let length = first
  let offset = 2
  if (first >= 0x80) {
    const octets = first & 0x7f
    if (octets < 1 || octets > 3) return false
    length = 0
    for (let i = 0; i < octets; i++) length = length * 256 + (bytes[2 + i] as number)
    offset = 2 + octets
  }
  if (offset + length !== bytes.length) return false
  return KEY_OIDS.some((oid) => {
    outer: for (let i = offset; i + oid.length + 2 <= bytes.length; i++) {
      if (bytes[i] !== 0x06 || bytes[i + 1] !== oid.length) continue
      for (let j = 0; j < oid.length; j++) if (bytes[i + 2 + j] !== oid[j]) continue outer
      return true
    }
    return false
  })
}

/** Base64 (or base64url) text decoded, or `undefined` when it is not. */
export function base64Bytes(text: string): Uint8Array | undefined {
  const compact = text.replace(/\s+/g, '')
  if (compact.length < 32 || !/^[A-Za-z0-9+/_-]+={0,2}$/.test(compact)) return undefined
  try {
    return decodeBase64url(compact.replace(/=+$/, '').replace(/\+/g, '-').replace(/\//g, '_'))
  } catch {
    return undefined
  }
}

/**
 * What `value` is when it is key material rather than an HMAC secret — a PEM block, a JWK (object
 * or JSON text), or DER / base64 DER of a public key, private key or certificate — else `undefined`.
 * Using a public key as an HMAC secret lets anyone who has the public key sign tokens
 * (jsonwebtoken CVE-2022-23541).
 */
export function keyMaterialKind(value: unknown): string | undefined {
  if (typeof value === 'object' && value !== null && !(value instanceof Uint8Array)) {
    const kty = (value as { kty?: unknown }).kty
    return kty === 'RSA' || kty === 'EC' || kty === 'OKP' ? `an ${kty} JWK` : undefined
  }
  if (typeof value === 'string') {
    const pem = /-----BEGIN ([A-Z0-9 ]+)-----/.exec(value)
    if (pem) return `a PEM ${(pem[1] as string).toLowerCase()}`
    const trimmed = value.trim()
    if (trimmed.startsWith('{')) {
      try {
        const parsed = JSON.parse(trimmed) as { kty?: unknown }
        if (typeof parsed?.kty === 'string') return 'a JWK (JSON text)'
      } catch {
        // not JSON: an ordinary secret
      }
    }
    const der = base64Bytes(trimmed)
    return der && isDerKey(der) ? 'base64 DER key material (SPKI, PKCS#8 or a certificate)' : undefined
  }
  if (value instanceof Uint8Array && isDerKey(value))
    return 'DER key material (SPKI, PKCS#8 or a certificate)'
  return undefined
}

export function refuseKeyMaterial(value: unknown, what: string): void {
  const kind = keyMaterialKind(value)
  if (kind === undefined) return
  throw new TypeError(
    `tokenward: ${what} is ${kind}, not an HMAC secret — anyone holding a public key could then sign ` +
      'tokens (CVE-2022-23541). For RSA, EC or Ed25519 keys use `keys: [{ alg, key }]` (a private key ' +
      'signs; public keys only verify) or `jwks`; an HMAC secret is random bytes known only to you.',
  )
}

// --- RSA key size (RFC 7518 §3.3) -----------------------------------------------------------------------

export const MIN_RSA_BITS = 2048

/** Bits of a big-endian unsigned integer (a JWK `n`). */
export function bitLength(bytes: Uint8Array): number {
  let i = 0
  while (i < bytes.length && bytes[i] === 0) i++
  if (i === bytes.length) return 0
  return (bytes.length - i - 1) * 8 + (32 - Math.clz32(bytes[i] as number))
}

/** The modulus size of an RSA CryptoKey or JWK, or `undefined` for other keys. */
export function rsaBits(key: CryptoKey | JWK): number | undefined {
  if (isCryptoKey(key)) {
    const bits = (key.algorithm as { modulusLength?: unknown }).modulusLength
    return typeof bits === 'number' ? bits : undefined
  }
  if (key.kty !== 'RSA' || typeof key.n !== 'string') return undefined
  try {
    return bitLength(decodeBase64url(key.n))
  } catch {
    return 0
  }
}

/** RFC 7518 §3.3: "A key of size 2048 bits or larger MUST be used" with RS* and PS*. */
export function isWeakRsa(key: CryptoKey | JWK): boolean {
  const bits = rsaBits(key)
  return bits !== undefined && bits < MIN_RSA_BITS
}

export function refuseWeakRsa(key: CryptoKey | JWK, what: string): void {
  if (!isWeakRsa(key)) return
  throw new TypeError(
    `tokenward: ${what} is an RSA key of ${rsaBits(key)} bits; RFC 7518 §3.3 requires at least ${MIN_RSA_BITS} ` +
      '(generate one with: openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:3072), or use ES256 / EdDSA',
  )
}

export function indexKeys(
  keys: ResolvedKey[],
  remote?: KeySet['remote'],
  algorithms?: Iterable<string>,
  needsIssuer = false,
): KeySet {
  const byKid = new Map<string, ResolvedKey>()
  const byAlg = new Map<Algorithm, ResolvedKey[]>()
  for (const key of keys) {
    if (key.kid !== undefined) byKid.set(key.kid, key)
    byAlg.set(key.alg, [...(byAlg.get(key.alg) ?? []), key])
  }
  return {
    signing: keys[0]?.sign ? keys[0] : undefined,
    byKid,
    byAlg,
    algorithms: new Set(algorithms ?? keys.map((k) => k.alg)),
    remote,
    needsIssuer,
  }
}
