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
 * route helpers. node:crypto's HMAC is used where the runtime has it (Node, Bun, Deno, reached
 * through `process.getBuiltinModule`, so `core/` imports no `node:` module); elsewhere (edge
 * workers, where Web Crypto is async only) a small portable SHA-256 (FIPS 180-4) does the same
 * computation, tested against node:crypto and the RFC 4231 vectors.
 */

import type { KeyOptions } from '../keys/index.js'
import { CSRF_KEY_LABEL, CSRF_TOKEN_LABEL } from '../lib/constants.js'
import { encodeBase64url, utf8 } from '../lib/encoding.js'

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

// --- HMAC-SHA256, synchronous ------------------------------------------------------------------------

type Mac = (data: Uint8Array) => Uint8Array

interface NativeHmacModule {
  createSecretKey(key: Uint8Array): object
  createHmac(hash: 'sha256', key: object): { update(data: Uint8Array): { digest(): Uint8Array } }
}

function loadNative(): NativeHmacModule | undefined {
  try {
    const proc = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process
    const mod = proc?.getBuiltinModule?.('node:crypto') as NativeHmacModule | undefined
    return mod && typeof mod.createHmac === 'function' && typeof mod.createSecretKey === 'function'
      ? mod
      : undefined
  } catch {
    return undefined
  }
}

let native: NativeHmacModule | undefined | null = null

/** HMAC-SHA256 keyed by `key`, on node:crypto when the runtime has it, else the portable code. */
function macWith(key: Uint8Array): Mac {
  if (native === null) native = loadNative()
  const nc = native
  if (nc) {
    const keyObject = nc.createSecretKey(key)
    return (data) => nc.createHmac('sha256', keyObject).update(data).digest()
  }
  return (data) => portableHmacSha256(key, data)
}

// FIPS 180-4 §4.2.2: the first 32 bits of the fractional parts of the cube roots of the first 64 primes.
const K256 = new Uint32Array([
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5, 0xd807aa98,
  0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786,
  0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8,
  0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13,
  0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819,
  0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a,
  0x5b9cca4f, 0x682e6ff3, 0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7,
  0xc67178f2,
])
// FIPS 180-4 §5.3.3: the initial hash value.
const H256 = [0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19]

const rotr = (x: number, n: number) => (x >>> n) | (x << (32 - n))

/** SHA-256 (FIPS 180-4), for runtimes without node:crypto. Inputs here are a few hundred bytes. */
function sha256(data: Uint8Array): Uint8Array {
  const blocks = (data.length + 9 + 63) >>> 6
  const padded = new Uint8Array(blocks * 64)
  padded.set(data)
  padded[data.length] = 0x80
  const view = new DataView(padded.buffer)
  const bits = data.length * 8
  view.setUint32(padded.length - 8, Math.floor(bits / 0x100000000))
  view.setUint32(padded.length - 4, bits >>> 0)
  const h = H256.slice()
  const w = new Uint32Array(64)
  for (let offset = 0; offset < padded.length; offset += 64) {
    for (let t = 0; t < 16; t++) w[t] = view.getUint32(offset + t * 4)
    for (let t = 16; t < 64; t++) {
      const a = w[t - 15]!
      const b = w[t - 2]!
      const s0 = rotr(a, 7) ^ rotr(a, 18) ^ (a >>> 3)
      const s1 = rotr(b, 17) ^ rotr(b, 19) ^ (b >>> 10)
      w[t] = (w[t - 16]! + s0 + w[t - 7]! + s1) | 0
    }
    let [a, b, c, d, e, f, g, hh] = h as [number, number, number, number, number, number, number, number]
    for (let t = 0; t < 64; t++) {
      const t1 = (hh + (rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25)) + ((e & f) ^ (~e & g)) + K256[t]! + w[t]!) | 0
      const t2 = ((rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22)) + ((a & b) ^ (a & c) ^ (b & c))) | 0
      hh = g
      g = f
      f = e
      e = (d + t1) | 0
      d = c
      c = b
      b = a
      a = (t1 + t2) | 0
    }
    h[0] = (h[0]! + a) | 0
    h[1] = (h[1]! + b) | 0
    h[2] = (h[2]! + c) | 0
    h[3] = (h[3]! + d) | 0
    h[4] = (h[4]! + e) | 0
    h[5] = (h[5]! + f) | 0
    h[6] = (h[6]! + g) | 0
    h[7] = (h[7]! + hh) | 0
  }
  const out = new Uint8Array(32)
  const outView = new DataView(out.buffer)
  for (let i = 0; i < 8; i++) outView.setUint32(i * 4, h[i]! >>> 0)
  return out
}

/**
 * HMAC-SHA256 (RFC 2104) on the portable SHA-256. Exported for the differential test against
 * node:crypto; tokenward uses it only where node:crypto is missing.
 *
 * @internal
 */
export function portableHmacSha256(key: Uint8Array, data: Uint8Array): Uint8Array {
  const block = new Uint8Array(64)
  block.set(key.length > 64 ? sha256(key) : key)
  const inner = new Uint8Array(64 + data.length)
  const outer = new Uint8Array(64 + 32)
  for (let i = 0; i < 64; i++) {
    inner[i] = block[i]! ^ 0x36
    outer[i] = block[i]! ^ 0x5c
  }
  inner.set(data, 64)
  outer.set(sha256(inner), 64)
  return sha256(outer)
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

/** Constant-time comparison of two strings of the same alphabet. */
export function safeEqual(a: string, b: string): boolean {
  if (a.length !== b.length) return false
  let diff = 0
  for (let i = 0; i < a.length; i++) diff |= a.charCodeAt(i) ^ b.charCodeAt(i)
  return diff === 0
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
    macs = secrets.map((secret) => macWith(macWith(secret)(label)))
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
