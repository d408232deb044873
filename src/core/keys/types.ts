/** The types of keys and key sets (public ones are re-exported by keys/index.ts). */
import type { JWK } from 'jose'
import type { ASYMMETRIC_ALGORITHMS, HMAC_ALGORITHMS } from '../lib/constants.js'
import type { Duration } from '../lib/duration.js'
import type { Algorithm, Backend, Signer, Verifier } from './signature.js'

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
