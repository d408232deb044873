/**
 * Secrets, key sets, kid rotation, JWKS publishing and remote JWKS. Every key is imported ONCE, when
 * `createAuth` runs; verification later only picks an already-built verifier.
 */
import {
  calculateJwkThumbprint,
  createRemoteJWKSet,
  exportJWK,
  importJWK,
  importPKCS8,
  importSPKI,
  type JWK,
  type JWTHeaderParameters,
} from 'jose'
import { callbackFailure, type ErrorSink } from './boundary.js'
import { ASYMMETRIC_ALGORITHMS, HMAC_ALGORITHMS } from './constants.js'
import { type Duration, toSeconds } from './duration.js'
import { decodeBase64url, utf8 } from './encoding.js'
import { AuthError } from './errors.js'
import { algorithmOfJwk, keyImportError, keySourceMessage, kindOf } from './key-errors.js'
import {
  type Algorithm,
  type Backend,
  createSigner,
  createVerifier,
  type KeyMaterial,
  type Signer,
  type Verifier,
} from './signature.js'

export type { Algorithm } from './signature.js'
/** HMAC algorithms: `HS256` (default), `HS384`, `HS512`. */
export type HmacAlgorithm = (typeof HMAC_ALGORITHMS)[number]
/** Asymmetric algorithms: RSA (`RS*`, `PS*`), ECDSA (`ES*`) and `EdDSA` (Ed25519). */
export type AsymmetricAlgorithm = (typeof ASYMMETRIC_ALGORITHMS)[number]

/** A JSON Web Key (RFC 7517), private or public. */
export type { JWK } from 'jose'

/**
 * One entry of `keys`: either a JWK (carrying `kid` and `alg`), or key material with its algorithm.
 * The FIRST key of the list signs; every key verifies (rotation: put the new key first and keep the
 * old one until the tokens it signed have expired).
 */
export type KeyInput =
  | (JWK & { kid?: string; alg?: string })
  | {
      /** Key id, written into the token header. Derived from the JWK thumbprint (RFC 7638) when omitted. */
      kid?: string
      /** The algorithm this key is pinned to (RFC 8725 §3.1). */
      alg: Algorithm
      /** Private key (PEM PKCS#8, JWK or CryptoKey) to sign and verify, a public key to only verify, or an HMAC secret. */
      key: string | Uint8Array | CryptoKey | JWK
      /** The public half, when `key` is a non-extractable private CryptoKey. */
      publicKey?: string | CryptoKey | JWK
    }

/** A public JWK Set, as served at `/.well-known/jwks.json`. */
export interface JSONWebKeySet {
  keys: JWK[]
}

/** One key, ready to use. */
export interface ResolvedKey {
  kid: string | undefined
  alg: Algorithm
  verify: Verifier
  backend: Backend
  sign?: Signer
  /** Public members only; absent for HMAC keys. */
  publicJwk?: JWK
}

/** The keys of one `createAuth`. */
export interface KeySet {
  /** The key that signs new tokens (absent in verify-only mode). */
  signing: ResolvedKey | undefined
  /** Keys by `kid`. */
  byKid: Map<string, ResolvedKey>
  /** Keys by algorithm, for tokens without `kid`. */
  byAlg: Map<Algorithm, ResolvedKey[]>
  /** Algorithms allowed in a token header: derived from the keys, never `none`. */
  algorithms: ReadonlySet<string>
  /**
   * Per-token key lookup in verify-only mode: a remote JWK Set, one per issuer, or the
   * `keyResolver`. `iss` is the token's UNVERIFIED issuer, read only to pick the key set.
   */
  remote: ((header: KeyLookup, iss: string | undefined) => Promise<ResolvedKey>) | undefined
  /** `remote` picks the key set by the token's `iss` (several issuers, or a key resolver). */
  needsIssuer: boolean
}

/** The token header members a key lookup goes by. */
export interface KeyLookup {
  alg: string
  kid?: string | undefined
}

/** What a {@link KeyResolver} is asked: the token's header `kid` and `alg`, and its (unverified) `iss`. */
export interface KeyResolverInput {
  /** The header `kid`, if the token has one. */
  kid: string | undefined
  /** The header `alg` (already checked against the allowed algorithms). */
  alg: string
  /**
   * The token's `iss` — NOT yet verified: use it only to choose where to look. When `issuer` is
   * configured it is already one of the configured issuers.
   */
  iss: string | undefined
}

/**
 * Finds the public key that verifies a token (verify-only mode), as jose's `jwtVerify(token,
 * getKey)` and fast-jwt's `key` callback do. Return a public JWK or CryptoKey, or `null` when none
 * matches (the token is rejected with `token_invalid`). Called for every token not already in the
 * verified-token cache: cache the keys you fetch (return the same object for the same key, and
 * tokenward reuses its verifier). A throw is your error: it reaches the framework (500).
 *
 * @example
 * ```ts
 * const auth = createAuth({
 *   verifyProfile: 'jwt',
 *   issuer: 'https://login.example.com/',
 *   keyResolver: async ({ kid }) => keysByKid.get(kid ?? '') ?? null,
 * })
 * ```
 */
export type KeyResolver = (
  input: KeyResolverInput,
) => JWK | CryptoKey | null | undefined | Promise<JWK | CryptoKey | null | undefined>

/** Key options of `createAuth` (one of `secret`, `keys`, `jwks`, `keyResolver`). */
export interface KeyOptions {
  /**
   * HMAC secret (at least as many bytes as the hash: 32 for HS256, 48 for HS384, 64 for HS512):
   * random bytes known only to you. A public key, certificate or JWK given here is refused
   * (that mistake lets anyone holding the public key sign tokens: jsonwebtoken CVE-2022-23541).
   */
  secret?: string | Uint8Array
  /** The algorithm for `secret` (default `HS256`). */
  algorithm?: HmacAlgorithm
  /** Asymmetric (or several HMAC) keys; the first signs, all verify. RSA keys need at least 2048 bits. */
  keys?: readonly KeyInput[]
  /**
   * Verify-only: a remote JWK Set URL (fetched and cached by jose's `createRemoteJWKSet`), or one
   * per issuer — `{ 'https://a': urlA, 'https://b': urlB }`, with `issuer` listing the same
   * issuers: a token's `iss` picks the set its signature must verify with.
   */
  jwks?: string | URL | Readonly<Record<string, string | URL>>
  /** Verify-only: finds the key for each token yourself (see {@link KeyResolver}). */
  keyResolver?: KeyResolver
  /** Options for the remote JWK Sets and the key resolver. */
  jwksOptions?: {
    /** Algorithms accepted from remote sets and the key resolver (default: every asymmetric algorithm). */
    algorithms?: AsymmetricAlgorithm[]
    /** Fetch timeout (default `'5s'`). */
    timeout?: Duration
    /** How long a fetched set is trusted before it is fetched again (default `'10m'`). */
    cacheMaxAge?: Duration
    /** Least time between two fetches caused by unknown kids (default `'30s'`). */
    cooldown?: Duration
    /** Extra request headers (e.g. a User-Agent). */
    headers?: Record<string, string>
  }
}

const MIN_HMAC_BYTES: Record<HmacAlgorithm, number> = { HS256: 32, HS384: 48, HS512: 64 }
const PUBLIC_MEMBERS: Record<string, readonly string[]> = {
  RSA: ['kty', 'n', 'e'],
  EC: ['kty', 'crv', 'x', 'y'],
  OKP: ['kty', 'crv', 'x'],
}

const isHmac = (alg: string): alg is HmacAlgorithm => (HMAC_ALGORITHMS as readonly string[]).includes(alg)
const isAsymmetric = (alg: string): alg is AsymmetricAlgorithm =>
  (ASYMMETRIC_ALGORITHMS as readonly string[]).includes(alg)

function secretBytes(secret: string | Uint8Array, alg: HmacAlgorithm, what: string): Uint8Array {
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

function publicOnly(jwk: JWK): JWK {
  const members = PUBLIC_MEMBERS[jwk.kty ?? ''] ?? []
  const source = jwk as Record<string, unknown>
  const out: Record<string, unknown> = {}
  for (const m of members) if (source[m] !== undefined) out[m] = source[m]
  return out as JWK
}

const isJwk = (value: unknown): value is JWK =>
  typeof value === 'object' &&
  value !== null &&
  !(value instanceof Uint8Array) &&
  typeof (value as JWK).kty === 'string'
const isCryptoKey = (value: unknown): value is CryptoKey =>
  typeof CryptoKey !== 'undefined' && value instanceof CryptoKey

// --- key material that is not what it claims to be -------------------------------------------------------

/** DER object identifiers of public-key algorithms (rsaEncryption, RSASSA-PSS, id-ecPublicKey, Ed25519, Ed448, X25519, X448). */
const KEY_OIDS: readonly (readonly number[])[] = [
  [0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01],
  [0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0a],
  [0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01],
  [0x2b, 0x65, 0x70],
  [0x2b, 0x65, 0x71],
  [0x2b, 0x65, 0x6e],
  [0x2b, 0x65, 0x6f],
]

/** A DER SEQUENCE spanning all of `bytes` that names a public-key algorithm: SPKI, PKCS#8 or a certificate. */
function isDerKey(bytes: Uint8Array): boolean {
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
function base64Bytes(text: string): Uint8Array | undefined {
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

function refuseKeyMaterial(value: unknown, what: string): void {
  const kind = keyMaterialKind(value)
  if (kind === undefined) return
  throw new TypeError(
    `tokenward: ${what} is ${kind}, not an HMAC secret — anyone holding a public key could then sign ` +
      'tokens (CVE-2022-23541). For RSA, EC or Ed25519 keys use `keys: [{ alg, key }]` (a private key ' +
      'signs; public keys only verify) or `jwks`; an HMAC secret is random bytes known only to you.',
  )
}

// --- RSA key size (RFC 7518 §3.3) -----------------------------------------------------------------------

const MIN_RSA_BITS = 2048

/** Bits of a big-endian unsigned integer (a JWK `n`). */
function bitLength(bytes: Uint8Array): number {
  let i = 0
  while (i < bytes.length && bytes[i] === 0) i++
  if (i === bytes.length) return 0
  return (bytes.length - i - 1) * 8 + (32 - Math.clz32(bytes[i] as number))
}

/** The modulus size of an RSA CryptoKey or JWK, or `undefined` for other keys. */
function rsaBits(key: CryptoKey | JWK): number | undefined {
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
function isWeakRsa(key: CryptoKey | JWK): boolean {
  const bits = rsaBits(key)
  return bits !== undefined && bits < MIN_RSA_BITS
}

function refuseWeakRsa(key: CryptoKey | JWK, what: string): void {
  if (!isWeakRsa(key)) return
  throw new TypeError(
    `tokenward: ${what} is an RSA key of ${rsaBits(key)} bits; RFC 7518 §3.3 requires at least ${MIN_RSA_BITS} ` +
      '(generate one with: openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:3072), or use ES256 / EdDSA',
  )
}

// --- construction-time checks -----------------------------------------------------------------------------

/** True when `keys[i]` can sign: an HMAC secret or a private key (PEM PKCS#8, JWK with `d`, CryptoKey). */
export function isPrivateKeyInput(input: KeyInput): boolean {
  if (typeof input?.alg === 'string' && isHmac(input.alg)) return true
  const material = materialOf(input)
  if (typeof material === 'string') return material.includes('PRIVATE KEY')
  if (isCryptoKey(material)) return material.type !== 'public'
  return isJwk(material) && typeof (material as { d?: unknown }).d === 'string'
}

/** Where `keys[i]` keeps its key material. */
const materialOf = (input: KeyInput): unknown => (isJwk(input) ? input : input.key)

/**
 * Synchronous checks: everything a mistyped configuration should fail on at start-up. `issuers`:
 * the configured `issuer` list (a `jwks` per issuer must name exactly these).
 */
export function validateKeyOptions(options: KeyOptions, issuers?: readonly string[]): void {
  const given = [
    options.secret !== undefined,
    options.keys !== undefined,
    options.jwks !== undefined,
    options.keyResolver !== undefined,
  ].filter(Boolean)
  if (given.length !== 1) throw new TypeError(keySourceMessage(options))
  if (options.secret !== undefined) {
    const alg = options.algorithm ?? 'HS256'
    if (!isHmac(alg))
      throw new TypeError(
        `tokenward: \`algorithm\` for a secret must be HS256, HS384 or HS512, got ${String(alg)}` +
          (isAsymmetric(String(alg))
            ? ` — a secret signs with HMAC; for ${alg} drop \`secret\` and \`algorithm\` and give the key pair: ` +
              `keys: [{ alg: '${alg}', key: privateKeyPem }]`
            : ''),
      )
    refuseKeyMaterial(options.secret, '`secret`')
    if (typeof options.secret !== 'string' && !(options.secret instanceof Uint8Array))
      throw new TypeError(
        `tokenward: \`secret\` must be a string or a Uint8Array, got ${kindOf(options.secret)} — ` +
          'e.g. secret: process.env.JWT_SECRET (at least 32 random bytes)',
      )
    secretBytes(options.secret, alg, '`secret`')
  }
  if (options.keys !== undefined) validateKeys(options.keys)
  if (options.jwks !== undefined) validateJwks(options.jwks, issuers)
  if (options.keyResolver !== undefined && typeof options.keyResolver !== 'function')
    throw new TypeError(`tokenward: \`keyResolver\` must be a function, got ${typeof options.keyResolver}`)
}

function validateKeys(keys: readonly KeyInput[]): void {
  if (!Array.isArray(keys) || keys.length === 0) {
    const fix =
      typeof keys === 'string'
        ? ' — for one HMAC secret use `secret: …` instead; for a key pair: keys: [{ alg: ' +
          "'EdDSA', key: privateKeyPem }]"
        : typeof keys === 'object' && keys !== null && !Array.isArray(keys)
          ? ' — wrap the key in a list: keys: [{ alg, key }]'
          : " — e.g. keys: [{ alg: 'EdDSA', key: privateKeyPem }] (the first key signs, all verify)"
    throw new TypeError(`tokenward: \`keys\` must be a non-empty array, got ${kindOf(keys)}${fix}`)
  }
  const kids = new Set<string>()
  for (const [i, input] of keys.entries()) {
    if (typeof input !== 'object' || input === null)
      throw new TypeError(
        `tokenward: keys[${i}] must be { alg, key } or a JWK, got ${kindOf(input)}` +
          (typeof input === 'string'
            ? ` — write keys: [{ alg: 'EdDSA', key: … }] (the algorithm of the key)`
            : ''),
      )
    const alg = input.alg
    if (!alg) {
      const suggested = isJwk(input) ? algorithmOfJwk(input) : undefined
      throw new TypeError(
        `tokenward: keys[${i}] needs an \`alg\`, the algorithm the key is pinned to (RFC 8725 §3.1): ` +
          (suggested
            ? `add alg: ${suggested} to this ${input.kty} JWK`
            : "'RS256' for an RSA key, 'ES256' for a P-256 key, 'EdDSA' for an Ed25519 key, 'HS256' for a secret"),
      )
    }
    if (!isHmac(alg) && !isAsymmetric(alg))
      throw new TypeError(
        `tokenward: keys[${i}] has unsupported alg ${alg} — use one of ${[...HMAC_ALGORITHMS, ...ASYMMETRIC_ALGORITHMS].join(', ')}` +
          (String(alg).toLowerCase() === 'none' ? ' (unsigned tokens are never accepted)' : ''),
      )
    if (isHmac(alg)) {
      refuseKeyMaterial(materialOf(input), `keys[${i}].key (${alg})`)
      const raw = isJwk(input) ? undefined : input.key
      if (isJwk(input) || !(typeof raw === 'string' || raw instanceof Uint8Array)) {
        throw new TypeError(
          `tokenward: keys[${i}] (${alg}) must give the secret as a string or Uint8Array in \`key\``,
        )
      }
      if (!input.kid) throw new TypeError(`tokenward: keys[${i}] (${alg}) needs a \`kid\``)
      secretBytes(raw, alg, `keys[${i}].key`)
    } else {
      const material = materialOf(input)
      if (isJwk(material) || isCryptoKey(material)) refuseWeakRsa(material, `keys[${i}]`)
      const pub = isJwk(input) ? undefined : input.publicKey
      if (pub !== undefined && typeof pub !== 'string') refuseWeakRsa(pub, `keys[${i}].publicKey`)
    }
    if (input.kid) {
      if (kids.has(input.kid)) throw new TypeError(`tokenward: two keys share kid ${input.kid}`)
      kids.add(input.kid)
    }
  }
}

function checkUrl(value: unknown, what: string): void {
  try {
    const url = new URL(String(value))
    if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new Error(url.protocol)
  } catch {
    throw new TypeError(
      `tokenward: ${what} must be an http(s) URL, got ${typeof value === 'string' ? `'${value}'` : kindOf(value)} — ` +
        "the address of the issuer's JWK Set, e.g. 'https://login.example.com/.well-known/jwks.json'",
    )
  }
}

function validateJwks(jwks: NonNullable<KeyOptions['jwks']>, issuers: readonly string[] | undefined): void {
  if (typeof jwks === 'string' || jwks instanceof URL) {
    checkUrl(jwks, '`jwks`')
    return
  }
  if (typeof jwks !== 'object' || jwks === null || Array.isArray(jwks))
    throw new TypeError(
      `tokenward: \`jwks\` must be a URL, or an object of URLs by issuer, got ${kindOf(jwks)}`,
    )
  if (Array.isArray((jwks as { keys?: unknown }).keys) || typeof (jwks as { kty?: unknown }).kty === 'string')
    throw new TypeError(
      'tokenward: `jwks` takes the URL of a JWK Set, not the keys themselves — for keys you already ' +
        'have, use `keys: jwkSet.keys` (each JWK with its `alg`; public keys only verify)',
    )
  const names = Object.keys(jwks)
  if (names.length === 0) throw new TypeError('tokenward: `jwks` by issuer names no issuer')
  for (const name of names) checkUrl(jwks[name], `\`jwks['${name}']\``)
  if (issuers === undefined)
    throw new TypeError(
      `tokenward: \`jwks\` by issuer needs \`issuer\` listing the same issuers: issuer: ${JSON.stringify(names)}`,
    )
  const stray = names.find((name) => !issuers.includes(name))
  if (stray !== undefined)
    throw new TypeError(`tokenward: \`jwks['${stray}']\` names an issuer that \`issuer\` does not list`)
  const bare = issuers.find((name) => !Object.hasOwn(jwks, name))
  if (bare !== undefined)
    throw new TypeError(`tokenward: issuer '${bare}' has no key set: add \`jwks['${bare}']\``)
}

async function importAsymmetric(
  value: string | CryptoKey | JWK,
  alg: AsymmetricAlgorithm,
  what: string,
): Promise<{ key: CryptoKey; isPrivate: boolean }> {
  let imported: { key: CryptoKey; isPrivate: boolean }
  if (isCryptoKey(value)) {
    imported = { key: value, isPrivate: value.type === 'private' }
  } else {
    try {
      imported = await importMaterial(value, alg)
    } catch (err) {
      throw await keyImportError(value, alg, what, err, (other) => importMaterial(value, other))
    }
  }
  // The native backend verifies without jose, so jose's own key-size check never runs: ours does.
  refuseWeakRsa(imported.key, what)
  return imported
}

async function importMaterial(
  value: string | JWK,
  alg: AsymmetricAlgorithm,
): Promise<{ key: CryptoKey; isPrivate: boolean }> {
  if (typeof value === 'string') {
    const isPrivate = value.includes('PRIVATE KEY')
    const key = isPrivate
      ? await importPKCS8(value, alg, { extractable: true })
      : await importSPKI(value, alg, { extractable: true })
    return { key, isPrivate }
  }
  const key = await importJWK({ ...value, ext: true }, alg)
  if (key instanceof Uint8Array) throw new TypeError('a symmetric (oct) JWK is an HMAC secret')
  return { key, isPrivate: typeof value.d === 'string' }
}

async function resolveKey(input: KeyInput, index: number): Promise<ResolvedKey> {
  const alg = (isJwk(input) ? input.alg : input.alg) as Algorithm
  let material: KeyMaterial
  let publicJwk: JWK | undefined
  if (isHmac(alg)) {
    const secret = secretBytes((input as { key: string | Uint8Array }).key, alg, `keys[${index}].key`)
    const key = await crypto.subtle.importKey(
      'raw',
      secret as BufferSource,
      { name: 'HMAC', hash: `SHA-${alg.slice(2)}` },
      false,
      ['sign', 'verify'],
    )
    material = { alg, verifyKey: key, signKey: key, secret }
  } else {
    const source = isJwk(input) ? input : input.key
    if (source instanceof Uint8Array)
      throw new TypeError(`tokenward: keys[${index}] (${alg}) must be PEM, JWK or CryptoKey`)
    const { key, isPrivate } = await importAsymmetric(
      source as string | CryptoKey | JWK,
      alg as AsymmetricAlgorithm,
      `keys[${index}]`,
    )
    let verifyKey = key
    if (isPrivate) {
      const explicit = isJwk(input) ? undefined : input.publicKey
      if (explicit !== undefined) {
        verifyKey = (await importAsymmetric(explicit, alg as AsymmetricAlgorithm, `keys[${index}].publicKey`))
          .key
      } else {
        if (!key.extractable) {
          throw new TypeError(
            `tokenward: keys[${index}] is a non-extractable private CryptoKey: give its \`publicKey\` too`,
          )
        }
        const pub = publicOnly(await exportJWK(key))
        verifyKey = (await importAsymmetric(pub, alg as AsymmetricAlgorithm, `keys[${index}]`)).key
      }
    }
    publicJwk = publicOnly(await exportJWK(verifyKey))
    material = { alg, verifyKey, ...(isPrivate ? { signKey: key } : {}) }
  }
  const kid = input.kid ?? (publicJwk ? await calculateJwkThumbprint(publicJwk) : undefined)
  const { verify, backend } = createVerifier(material)
  return {
    kid,
    alg,
    verify,
    backend,
    ...(material.signKey ? { sign: createSigner(material) } : {}),
    ...(publicJwk ? { publicJwk: { ...publicJwk, kid, alg, use: 'sig' } } : {}),
  }
}

function indexKeys(
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

const ERR_NO_KEY = new Set([
  'ERR_JWKS_NO_MATCHING_KEY',
  'ERR_JWKS_MULTIPLE_MATCHING_KEYS',
  'ERR_JOSE_NOT_SUPPORTED',
])
const noKey = (why = 'no key in the key set matches the token') => new AuthError('token_invalid', why)
const weakKey = () =>
  noKey(`the key for this token is an RSA key under ${MIN_RSA_BITS} bits, which RFC 7518 §3.3 forbids`)
const foreignIssuer = () =>
  new AuthError('token_claim_invalid', 'the token issuer (iss) is not accepted', { claim: 'iss' })

/** Builds (once per key object and algorithm) the verifier for a key that came from outside. */
class ExternalKeys {
  readonly #verifiers = new WeakMap<object, Map<string, ResolvedKey>>()

  get(source: object, alg: string): ResolvedKey | undefined {
    return this.#verifiers.get(source)?.get(alg)
  }

  set(source: object, key: ResolvedKey): ResolvedKey {
    const byAlg = this.#verifiers.get(source) ?? new Map<string, ResolvedKey>()
    this.#verifiers.set(source, byAlg)
    byAlg.set(key.alg, key)
    return key
  }
}

function verifierFor(verifyKey: CryptoKey, header: KeyLookup): ResolvedKey {
  const { verify, backend } = createVerifier({ alg: header.alg as Algorithm, verifyKey })
  return { kid: header.kid, alg: header.alg as Algorithm, verify, backend }
}

/** One remote JWK Set: `header` → its verifier. */
function remoteSet(url: string | URL, options: KeyOptions, cache: ExternalKeys) {
  const o = options.jwksOptions ?? {}
  const getKey = createRemoteJWKSet(new URL(String(url)), {
    timeoutDuration: toSeconds(o.timeout ?? '5s', 'jwksOptions.timeout') * 1000,
    cacheMaxAge: toSeconds(o.cacheMaxAge ?? '10m', 'jwksOptions.cacheMaxAge') * 1000,
    cooldownDuration: toSeconds(o.cooldown ?? '30s', 'jwksOptions.cooldown') * 1000,
    ...(o.headers ? { headers: o.headers } : {}),
  })
  return async (header: KeyLookup): Promise<ResolvedKey> => {
    let key: CryptoKey
    try {
      key = await getKey(header as JWTHeaderParameters, { payload: '', signature: '' } as never)
    } catch (err) {
      if (ERR_NO_KEY.has((err as { code?: string }).code ?? '')) throw noKey()
      // The key set cannot be fetched: fail closed, like a store outage.
      throw new AuthError('store_unavailable', 'the JSON Web Key Set could not be fetched', { cause: err })
    }
    const known = cache.get(key, header.alg)
    if (known) return known
    // RFC 7518 §3.3, for keys we did not choose: a weak key in the set fails its tokens.
    if (isWeakRsa(key)) throw weakKey()
    return cache.set(key, verifierFor(key, header))
  }
}

const CURVE: Record<string, string> = { ES256: 'P-256', ES384: 'P-384', ES512: 'P-521' }

/** RFC 8725 §3.1: the key a resolver returned must be a public key of the token's algorithm. */
function fitsAlgorithm(key: CryptoKey, alg: string): boolean {
  const a = key.algorithm as { name: string; namedCurve?: string; hash?: { name?: string } }
  const hash = `SHA-${alg.slice(2)}`
  if (alg.startsWith('RS')) return a.name === 'RSASSA-PKCS1-v1_5' && a.hash?.name === hash
  if (alg.startsWith('PS')) return a.name === 'RSA-PSS' && a.hash?.name === hash
  if (alg.startsWith('ES')) return a.name === 'ECDSA' && a.namedCurve === CURVE[alg]
  return alg === 'EdDSA' && (a.name === 'Ed25519' || a.name === 'EdDSA')
}

/** The verifier for what a `keyResolver` returned, for the token's algorithm. */
async function resolvedKey(
  found: JWK | CryptoKey,
  header: KeyLookup,
  cache: ExternalKeys,
): Promise<ResolvedKey> {
  const known = cache.get(found, header.alg)
  if (known) return known
  let key: CryptoKey
  if (isCryptoKey(found)) {
    key = found
  } else if (isJwk(found)) {
    // RFC 7517 §4.4 / §4.2: a JWK that names its algorithm or use is pinned to them.
    if (
      (found.alg !== undefined && found.alg !== header.alg) ||
      (found.use !== undefined && found.use !== 'sig')
    )
      throw noKey('the token algorithm does not match its key')
    try {
      const imported = await importJWK(publicOnly(found), header.alg)
      if (imported instanceof Uint8Array) throw new Error('symmetric')
      key = imported
    } catch {
      throw noKey('the token algorithm does not match its key')
    }
  } else {
    throw new TypeError('tokenward: `keyResolver` must return a public JWK, a CryptoKey or null')
  }
  if (key.type !== 'public' || !fitsAlgorithm(key, header.alg))
    throw noKey('the token algorithm does not match its key')
  if (isWeakRsa(key)) throw weakKey()
  return cache.set(found, verifierFor(key, header))
}

/**
 * Verify-only key sets: one remote JWK Set, one per issuer, or the `keyResolver`. `issuers`: the
 * configured `issuer` list — an unverified `iss` outside it is refused before anything is fetched.
 */
function externalKeySet(
  options: KeyOptions,
  issuers: readonly string[] | undefined,
  emit: ErrorSink | undefined,
): KeySet {
  const algorithms = new Set<string>(options.jwksOptions?.algorithms ?? ASYMMETRIC_ALGORITHMS)
  const cache = new ExternalKeys()
  const { jwks, keyResolver } = options
  if (keyResolver) {
    const remote = async (header: KeyLookup, iss: string | undefined): Promise<ResolvedKey> => {
      if (issuers !== undefined && (iss === undefined || !issuers.includes(iss))) throw foreignIssuer()
      let found: JWK | CryptoKey | null | undefined
      try {
        found = await keyResolver({ kid: header.kid, alg: header.alg, iss })
      } catch (err) {
        throw emit ? callbackFailure(emit, 'keyResolver', err) : err
      }
      if (found === null || found === undefined) throw noKey()
      return resolvedKey(found, header, cache)
    }
    return indexKeys([], remote, algorithms, true)
  }
  if (typeof jwks === 'string' || jwks instanceof URL) {
    const set = remoteSet(jwks, options, cache)
    return indexKeys([], (header) => set(header), algorithms)
  }
  const sets = new Map<string, ReturnType<typeof remoteSet>>()
  for (const [iss, url] of Object.entries(jwks ?? {})) sets.set(iss, remoteSet(url, options, cache))
  const remote = async (header: KeyLookup, iss: string | undefined): Promise<ResolvedKey> => {
    const set = iss === undefined ? undefined : sets.get(iss)
    if (!set) throw foreignIssuer()
    return set(header)
  }
  return indexKeys([], remote, algorithms, true)
}

/**
 * Imports every configured key (call once, at `createAuth`). `issuers`: the configured `issuer`
 * list; `emit`: reports a throw of the `keyResolver` as an `error` event.
 */
export async function loadKeySet(
  options: KeyOptions,
  issuers?: readonly string[],
  emit?: ErrorSink,
): Promise<KeySet> {
  if (options.jwks !== undefined || options.keyResolver !== undefined)
    return externalKeySet(options, issuers, emit)
  const inputs: KeyInput[] =
    options.secret !== undefined
      ? [{ alg: options.algorithm ?? 'HS256', key: options.secret } as KeyInput]
      : [...(options.keys ?? [])]
  const keys = await Promise.all(inputs.map((input, i) => resolveKey(input, i)))
  return indexKeys(keys)
}

/** The public JWK Set of a key set: asymmetric keys only, public members only. */
export function publicJwks(keySet: KeySet): JSONWebKeySet {
  const keys: JWK[] = []
  const seen = new Set<ResolvedKey>()
  for (const list of keySet.byAlg.values()) {
    for (const key of list) {
      if (key.publicJwk && !seen.has(key)) {
        seen.add(key)
        keys.push({ ...key.publicJwk })
      }
    }
  }
  return { keys }
}
