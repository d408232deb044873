import { ASYMMETRIC_ALGORITHMS, HMAC_ALGORITHMS } from '../lib/constants.js'
import { kindOf } from '../lib/kind.js'
import { algorithmOfJwk, keySourceMessage } from './errors.js'
import {
  isAsymmetric,
  isCryptoKey,
  isHmac,
  isJwk,
  refuseKeyMaterial,
  refuseWeakRsa,
  secretBytes,
} from './material.js'

import type { KeyInput, KeyOptions } from './types.js'
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
