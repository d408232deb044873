/**
 * The runtime's own crypto, in one place: `node:crypto` where the runtime has it (Node, Bun, Deno),
 * reached through `process.getBuiltinModule` so `src/core` imports no `node:` module and bundles
 * for the edge unchanged; HMAC-SHA256 on it, synchronous everywhere (elsewhere from
 * @noble/hashes, audited, compiled into the package: Web Crypto would make the check async); and
 * the constant-time comparison of secrets.
 */
import { hmac } from '@noble/hashes/hmac.js'
import { sha256 } from '@noble/hashes/sha2.js'

/** A `node:crypto` KeyObject, as far as tokenward uses it. */
export interface NativeKeyObject {
  readonly type: string
}

interface NativeHmac {
  update(data: string | Uint8Array): NativeHmac
  digest(): Uint8Array
  digest(encoding: 'base64url'): string
}

/** The part of `node:crypto` tokenward uses. */
export interface NativeCrypto {
  KeyObject: { from(key: CryptoKey): NativeKeyObject }
  createSecretKey(key: Uint8Array): NativeKeyObject
  createHmac(hash: string, key: NativeKeyObject): NativeHmac
  createHash(hash: string): { update(data: string): { digest(encoding: 'base64url'): string } }
  timingSafeEqual(a: Uint8Array, b: Uint8Array): boolean
  verify(hash: string | null, data: Uint8Array, key: object, signature: Uint8Array): boolean
  sign(hash: string | null, data: Uint8Array, key: object): Uint8Array
  constants: { RSA_PKCS1_PSS_PADDING: number; RSA_PSS_SALTLEN_DIGEST: number }
}

function loadNative(): NativeCrypto | undefined {
  try {
    const proc = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process
    const mod = proc?.getBuiltinModule?.('node:crypto') as NativeCrypto | undefined
    return mod &&
      typeof mod.createHmac === 'function' &&
      typeof mod.createSecretKey === 'function' &&
      typeof mod.KeyObject?.from === 'function'
      ? mod
      : undefined
  } catch {
    return undefined
  }
}

let native: NativeCrypto | undefined | null = null

/** The runtime's `node:crypto`, or `undefined` (edge workers, browsers). Loaded once. */
export function nativeCrypto(): NativeCrypto | undefined {
  if (native === null) native = loadNative()
  return native
}

/** A MAC keyed once: `data` → its HMAC-SHA256. */
export type Mac = (data: Uint8Array) => Uint8Array

/** HMAC-SHA256 keyed by `key`, synchronous: node:crypto when the runtime has it, else @noble/hashes. */
export function hmacSha256(key: Uint8Array): Mac {
  const nc = nativeCrypto()
  if (nc) {
    const keyObject = nc.createSecretKey(key)
    return (data) => nc.createHmac('sha256', keyObject).update(data).digest()
  }
  return (data) => portableHmacSha256(key, data)
}

/**
 * HMAC-SHA256 (RFC 2104) from @noble/hashes: what {@link hmacSha256} uses where node:crypto is
 * missing. Exported for the differential test against node:crypto.
 *
 * @internal
 */
export function portableHmacSha256(key: Uint8Array, data: Uint8Array): Uint8Array {
  return hmac(sha256, key, data)
}

/**
 * Constant-time string comparison: the time depends on the lengths only, never on where two
 * secrets (a client secret, a CSRF token) first differ.
 */
export function safeEqual(a: string, b: string): boolean {
  let diff = a.length ^ b.length
  const length = Math.max(a.length, b.length)
  // charCodeAt past the end is NaN, which `| 0` makes 0: the length difference already counted.
  for (let i = 0; i < length; i++) diff |= (a.charCodeAt(i) | 0) ^ (b.charCodeAt(i) | 0)
  return diff === 0
}
