/**
 * Keys that come from outside: remote JWK Sets (one per issuer) and the application's `keyResolver`,
 * verify-only. The unverified `iss` only picks the key set; the signature must verify with it.
 */
import { createRemoteJWKSet, importJWK, type JWK, type JWTHeaderParameters } from 'jose'
import { AuthError, callbackFailure, type ErrorSink } from '../errors.js'
import { ASYMMETRIC_ALGORITHMS } from '../lib/constants.js'
import { toSeconds } from '../lib/duration.js'
import { indexKeys, isCryptoKey, isJwk, isWeakRsa, MIN_RSA_BITS, publicOnly } from './material.js'
import { type Algorithm, createVerifier } from './signature.js'
import type { KeyLookup, KeyOptions, KeySet, ResolvedKey } from './types.js'

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
function remoteSet(url: string | URL, options: KeyOptions, verifiers: ExternalKeys) {
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
    const known = verifiers.get(key, header.alg)
    if (known) return known
    // RFC 7518 §3.3, for keys we did not choose: a weak key in the set fails its tokens.
    if (isWeakRsa(key)) throw weakKey()
    return verifiers.set(key, verifierFor(key, header))
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
  verifiers: ExternalKeys,
): Promise<ResolvedKey> {
  const known = verifiers.get(found, header.alg)
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
  return verifiers.set(found, verifierFor(key, header))
}

/**
 * Verify-only key sets: one remote JWK Set, one per issuer, or the `keyResolver`. `issuers`: the
 * configured `issuer` list — an unverified `iss` outside it is refused before anything is fetched.
 */
export function externalKeySet(
  options: KeyOptions,
  issuers: readonly string[] | undefined,
  emit: ErrorSink | undefined,
): KeySet {
  const algorithms = new Set<string>(options.jwksOptions?.algorithms ?? ASYMMETRIC_ALGORITHMS)
  const verifiers = new ExternalKeys()
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
      return resolvedKey(found, header, verifiers)
    }
    return indexKeys([], remote, algorithms, true)
  }
  if (typeof jwks === 'string' || jwks instanceof URL) {
    const set = remoteSet(jwks, options, verifiers)
    return indexKeys([], (header) => set(header), algorithms)
  }
  const sets = new Map<string, ReturnType<typeof remoteSet>>()
  for (const [iss, url] of Object.entries(jwks ?? {})) sets.set(iss, remoteSet(url, options, verifiers))
  const remote = async (header: KeyLookup, iss: string | undefined): Promise<ResolvedKey> => {
    const set = iss === undefined ? undefined : sets.get(iss)
    if (!set) throw foreignIssuer()
    return set(header)
  }
  return indexKeys([], remote, algorithms, true)
}
