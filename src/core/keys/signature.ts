/**
 * The one seam where JWS signatures are made and checked. Keys arrive already imported (at
 * `createAuth`); this module turns each into a signer and a verifier once.
 *
 * Two backends sit behind it: Web Crypto (portable: every runtime, edge included) and, where the
 * runtime has `node:crypto` (Node, Bun, Deno), the native one (lib/native.ts loads it without
 * importing a `node:` module, so `src/core` bundles for the edge unchanged). Web Crypto runs each
 * HMAC as a thread-pool job; node:crypto answers in the same turn, about 15× faster for HS256 on
 * Node 20 (docs/benchmarks.md).
 */
import { decodeBase64url, encodeBase64url, utf8 } from '../lib/encoding.js'
import { type NativeCrypto, type NativeKeyObject, nativeCrypto } from '../lib/native.js'

export type Algorithm =
  | 'HS256'
  | 'HS384'
  | 'HS512'
  | 'RS256'
  | 'RS384'
  | 'RS512'
  | 'PS256'
  | 'PS384'
  | 'PS512'
  | 'ES256'
  | 'ES384'
  | 'ES512'
  | 'EdDSA'

/** Checks `signature` (base64url) over `signingInput` (`header.payload`). */
export type Verifier = (signingInput: string, signature: string) => boolean | Promise<boolean>
/** Signs `signingInput` and returns the base64url signature. */
export type Signer = (signingInput: string) => string | Promise<string>

/** Which backend a verifier uses (exposed for the benchmark and the differential test). */
export type Backend = 'native' | 'webcrypto'

// --- the native backend, when the runtime has node:crypto (lib/native.ts) ------------------

const HASH: Record<Algorithm, string | null> = {
  HS256: 'sha256',
  HS384: 'sha384',
  HS512: 'sha512',
  RS256: 'sha256',
  RS384: 'sha384',
  RS512: 'sha512',
  PS256: 'sha256',
  PS384: 'sha384',
  PS512: 'sha512',
  ES256: 'sha256',
  ES384: 'sha384',
  ES512: 'sha512',
  EdDSA: null,
}

function nativeKeyParams(alg: Algorithm, nc: NativeCrypto, key: NativeKeyObject): object {
  if (alg.startsWith('PS')) {
    return {
      key,
      padding: nc.constants.RSA_PKCS1_PSS_PADDING,
      saltLength: nc.constants.RSA_PSS_SALTLEN_DIGEST,
    }
  }
  // RFC 7518 §3.4: ECDSA signatures are R || S, not DER.
  if (alg.startsWith('ES')) return { key, dsaEncoding: 'ieee-p1363' }
  return key
}

// --- the Web Crypto backend ---------------------------------------------------------------------

function webCryptoParams(alg: Algorithm, key: CryptoKey): AlgorithmIdentifier | RsaPssParams | EcdsaParams {
  if (alg.startsWith('PS')) return { name: 'RSA-PSS', saltLength: Number(alg.slice(2)) >> 3 }
  if (alg.startsWith('ES')) return { name: 'ECDSA', hash: `SHA-${alg.slice(2)}` }
  return key.algorithm.name
}

function webCryptoVerifier(alg: Algorithm, key: CryptoKey): Verifier {
  const params = webCryptoParams(alg, key)
  return async (signingInput, signature) => {
    try {
      return await crypto.subtle.verify(
        params,
        key,
        decodeBase64url(signature) as BufferSource,
        utf8(signingInput) as BufferSource,
      )
    } catch {
      return false
    }
  }
}

function webCryptoSigner(alg: Algorithm, key: CryptoKey): Signer {
  const params = webCryptoParams(alg, key)
  return async (signingInput) =>
    encodeBase64url(new Uint8Array(await crypto.subtle.sign(params, key, utf8(signingInput) as BufferSource)))
}

// --- the seam ----------------------------------------------------------------------------------

/** The key material behind one configured key. */
export interface KeyMaterial {
  alg: Algorithm
  /** The Web Crypto key that verifies (public key, or the HMAC secret key). */
  verifyKey: CryptoKey
  /** The Web Crypto key that signs, when this key may sign. */
  signKey?: CryptoKey
  /** Raw HMAC secret, when known (lets the native backend skip key conversion). */
  secret?: Uint8Array
}

/** node:crypto's key for an HMAC key: from the raw secret when known (no conversion), else from `key`. */
function hmacKeyObject(nc: NativeCrypto, material: KeyMaterial, key: CryptoKey): NativeKeyObject {
  return material.secret ? nc.createSecretKey(material.secret) : nc.KeyObject.from(key)
}

/** The native verifier of one key; throws when this runtime's node:crypto cannot take the key. */
function nativeVerifier(nc: NativeCrypto, material: KeyMaterial): Verifier {
  const { alg, verifyKey } = material
  const hash = HASH[alg]
  if (alg.startsWith('HS')) {
    const keyObject = hmacKeyObject(nc, material, verifyKey)
    return (signingInput, signature) => {
      const expected = nc
        .createHmac(hash as string, keyObject)
        .update(signingInput)
        .digest()
      const given = decodeBase64url(signature)
      // RFC 7515 §10.7 / RFC 8725 §3.2: compare MACs in constant time.
      return given.length === expected.length && nc.timingSafeEqual(given, expected)
    }
  }
  const params = nativeKeyParams(alg, nc, nc.KeyObject.from(verifyKey))
  return (signingInput, signature) => {
    try {
      return nc.verify(hash, utf8(signingInput), params, decodeBase64url(signature))
    } catch {
      return false
    }
  }
}

/** The native signer of one key; throws when this runtime's node:crypto cannot take the key. */
function nativeSigner(nc: NativeCrypto, material: KeyMaterial, signKey: CryptoKey): Signer {
  const { alg } = material
  const hash = HASH[alg]
  if (alg.startsWith('HS')) {
    const keyObject = hmacKeyObject(nc, material, signKey)
    return (signingInput) =>
      nc
        .createHmac(hash as string, keyObject)
        .update(signingInput)
        .digest('base64url')
  }
  const params = nativeKeyParams(alg, nc, nc.KeyObject.from(signKey))
  return (signingInput) => encodeBase64url(nc.sign(hash, utf8(signingInput), params))
}

/** What `build` makes on node:crypto, or `undefined` when the runtime has none or it cannot take the key. */
function onNative<T>(build: (nc: NativeCrypto) => T): T | undefined {
  const nc = nativeCrypto()
  if (!nc) return undefined
  try {
    return build(nc)
  } catch {
    // A runtime whose node:crypto cannot take this key falls through to Web Crypto.
    return undefined
  }
}

/** Builds the verifier for one key, on the fastest backend the runtime offers. */
export function createVerifier(material: KeyMaterial): { verify: Verifier; backend: Backend } {
  const native = onNative((nc) => nativeVerifier(nc, material))
  if (native) return { verify: native, backend: 'native' }
  return { verify: webCryptoVerifier(material.alg, material.verifyKey), backend: 'webcrypto' }
}

/** Builds the signer for one key, on the fastest backend the runtime offers. */
export function createSigner(material: KeyMaterial): Signer {
  const { alg, signKey } = material
  if (!signKey) throw new TypeError(`tokenward: key for ${alg} cannot sign (no private key)`)
  return onNative((nc) => nativeSigner(nc, material, signKey)) ?? webCryptoSigner(alg, signKey)
}

/**
 * SHA-256 of `text`, base64url: the revocation id of a token that has no `jti`. Synchronous on the
 * native backend (the request path stays promise-free), a promise on Web Crypto.
 */
export function sha256Base64url(text: string): string | Promise<string> {
  const nc = nativeCrypto()
  if (nc && typeof nc.createHash === 'function')
    return nc.createHash('sha256').update(text).digest('base64url')
  return crypto.subtle
    .digest('SHA-256', utf8(text) as BufferSource)
    .then((digest) => encodeBase64url(new Uint8Array(digest)))
}

/** Builds a Web Crypto-only verifier (the differential test compares it with the native one). */
export function createPortableVerifier(material: KeyMaterial): Verifier {
  return webCryptoVerifier(material.alg, material.verifyKey)
}
