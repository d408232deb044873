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
import { ASYMMETRIC_ALGORITHMS, HMAC_ALGORITHMS } from './constants.js'
import { type Duration, toSeconds } from './duration.js'
import { utf8 } from './encoding.js'
import { AuthError } from './errors.js'
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
  /** Remote JWKS lookup (verify-only mode). */
  remote: ((header: { alg: string; kid?: string }) => Promise<ResolvedKey>) | undefined
}

/** Key options of `createAuth` (one of `secret`, `keys`, `jwks`). */
export interface KeyOptions {
  /** HMAC secret (at least as many bytes as the hash: 32 for HS256, 48 for HS384, 64 for HS512). */
  secret?: string | Uint8Array
  /** The algorithm for `secret` (default `HS256`). */
  algorithm?: HmacAlgorithm
  /** Asymmetric (or several HMAC) keys; the first signs, all verify. */
  keys?: readonly KeyInput[]
  /** Verify-only: a remote JWK Set URL (fetched and cached by jose's `createRemoteJWKSet`). */
  jwks?: string | URL
  /** Options for the remote JWK Set. */
  jwksOptions?: {
    /** Algorithms accepted from the remote set (default: every asymmetric algorithm). */
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

/** Synchronous checks: everything a mistyped configuration should fail on at start-up. */
export function validateKeyOptions(options: KeyOptions): void {
  const given = [options.secret !== undefined, options.keys !== undefined, options.jwks !== undefined].filter(
    Boolean,
  )
  if (given.length !== 1) throw new TypeError('tokenward: give exactly one of `secret`, `keys` or `jwks`')
  if (options.secret !== undefined) {
    const alg = options.algorithm ?? 'HS256'
    if (!isHmac(alg))
      throw new TypeError(`tokenward: \`algorithm\` for a secret must be HS256, HS384 or HS512, got ${alg}`)
    secretBytes(options.secret, alg, '`secret`')
  }
  if (options.keys !== undefined) {
    if (!Array.isArray(options.keys) || options.keys.length === 0)
      throw new TypeError('tokenward: `keys` must be a non-empty array')
    const kids = new Set<string>()
    for (const [i, input] of options.keys.entries()) {
      const alg = input.alg
      if (!alg) throw new TypeError(`tokenward: keys[${i}] needs an \`alg\``)
      if (!isHmac(alg) && !isAsymmetric(alg))
        throw new TypeError(`tokenward: keys[${i}] has unsupported alg ${alg}`)
      if (isHmac(alg)) {
        const raw = isJwk(input) ? undefined : input.key
        if (isJwk(input) || !(typeof raw === 'string' || raw instanceof Uint8Array)) {
          throw new TypeError(
            `tokenward: keys[${i}] (${alg}) must give the secret as a string or Uint8Array in \`key\``,
          )
        }
        if (!input.kid) throw new TypeError(`tokenward: keys[${i}] (${alg}) needs a \`kid\``)
        secretBytes(raw, alg, `keys[${i}].key`)
      }
      if (input.kid) {
        if (kids.has(input.kid)) throw new TypeError(`tokenward: two keys share kid ${input.kid}`)
        kids.add(input.kid)
      }
    }
  }
  if (options.jwks !== undefined) new URL(String(options.jwks))
}

async function importAsymmetric(
  value: string | CryptoKey | JWK,
  alg: AsymmetricAlgorithm,
): Promise<{ key: CryptoKey; isPrivate: boolean }> {
  if (isCryptoKey(value)) return { key: value, isPrivate: value.type === 'private' }
  if (typeof value === 'string') {
    const isPrivate = value.includes('PRIVATE KEY')
    const key = isPrivate
      ? await importPKCS8(value, alg, { extractable: true })
      : await importSPKI(value, alg, { extractable: true })
    return { key, isPrivate }
  }
  const imported = await importJWK({ ...value, ext: true }, alg)
  if (imported instanceof Uint8Array)
    throw new TypeError('tokenward: a symmetric JWK cannot be used as an asymmetric key')
  return { key: imported, isPrivate: typeof value.d === 'string' }
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
    )
    let verifyKey = key
    if (isPrivate) {
      const explicit = isJwk(input) ? undefined : input.publicKey
      if (explicit !== undefined) {
        verifyKey = (await importAsymmetric(explicit, alg as AsymmetricAlgorithm)).key
      } else {
        if (!key.extractable) {
          throw new TypeError(
            `tokenward: keys[${index}] is a non-extractable private CryptoKey: give its \`publicKey\` too`,
          )
        }
        const pub = publicOnly(await exportJWK(key))
        verifyKey = (await importAsymmetric(pub, alg as AsymmetricAlgorithm)).key
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

function indexKeys(keys: ResolvedKey[], remote?: KeySet['remote'], algorithms?: Iterable<string>): KeySet {
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
  }
}

function remoteKeySet(options: KeyOptions): KeySet {
  const o = options.jwksOptions ?? {}
  const getKey = createRemoteJWKSet(new URL(String(options.jwks)), {
    timeoutDuration: toSeconds(o.timeout ?? '5s', 'jwksOptions.timeout') * 1000,
    cacheMaxAge: toSeconds(o.cacheMaxAge ?? '10m', 'jwksOptions.cacheMaxAge') * 1000,
    cooldownDuration: toSeconds(o.cooldown ?? '30s', 'jwksOptions.cooldown') * 1000,
    ...(o.headers ? { headers: o.headers } : {}),
  })
  const algorithms = new Set<string>(o.algorithms ?? ASYMMETRIC_ALGORITHMS)
  const verifiers = new WeakMap<CryptoKey, ResolvedKey>()
  const remote = async (header: { alg: string; kid?: string }): Promise<ResolvedKey> => {
    let key: CryptoKey
    try {
      key = await getKey(header as JWTHeaderParameters, { payload: '', signature: '' } as never)
    } catch (err) {
      const code = (err as { code?: string }).code
      if (
        code === 'ERR_JWKS_NO_MATCHING_KEY' ||
        code === 'ERR_JWKS_MULTIPLE_MATCHING_KEYS' ||
        code === 'ERR_JOSE_NOT_SUPPORTED'
      ) {
        throw new AuthError('token_invalid', 'no key in the key set matches the token')
      }
      // The key set cannot be fetched: fail closed, like a store outage.
      throw new AuthError('store_unavailable', 'the JSON Web Key Set could not be fetched', { cause: err })
    }
    let resolved = verifiers.get(key)
    if (!resolved) {
      const { verify, backend } = createVerifier({ alg: header.alg as Algorithm, verifyKey: key })
      resolved = { kid: header.kid, alg: header.alg as Algorithm, verify, backend }
      verifiers.set(key, resolved)
    }
    return resolved
  }
  return indexKeys([], remote, algorithms)
}

/** Imports every configured key (call once, at `createAuth`). */
export async function loadKeySet(options: KeyOptions): Promise<KeySet> {
  if (options.jwks !== undefined) return remoteKeySet(options)
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
