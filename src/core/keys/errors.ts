/**
 * What a key option that is wrong gets told: the option, what it holds, and what to write instead.
 * Only messages live here (keys/index.ts decides what is wrong); a newcomer's first key mistakes — a PEM
 * of another format or algorithm, a JWK without `alg`, a key set where its URL belongs — should
 * never surface as a bare error from jose or Web Crypto.
 */
import type { JWK } from 'jose'
import type { AsymmetricAlgorithm, KeyOptions } from './types.js'

const KEY_SOURCES = ['secret', 'keys', 'jwks', 'keyResolver'] as const

/** The "exactly one key source" error, naming what was given and what each source is for. */
export function keySourceMessage(options: KeyOptions): string {
  const given = KEY_SOURCES.filter((name) => options[name] !== undefined)
  const what = given.length
    ? `got ${given.map((name) => `\`${name}\``).join(' and ')}`
    : 'none given; an env var that is not set is `undefined`'
  return (
    `tokenward: give exactly one of \`secret\`, \`keys\`, \`jwks\` or \`keyResolver\` (${what}): ` +
    '`secret` to sign and verify in one service (HS256, at least 32 random bytes), `keys` for ' +
    'asymmetric key pairs, `jwks` or `keyResolver` to only verify tokens signed elsewhere'
  )
}

/** The algorithm a JWK is for, from its `kty` and `crv`: what to write as its `alg`. */
export function algorithmOfJwk(jwk: JWK): string | undefined {
  if (jwk.kty === 'RSA') return "'RS256' (or 'PS256', 'RS384' …)"
  if (jwk.kty === 'EC') return { 'P-256': "'ES256'", 'P-384': "'ES384'", 'P-521': "'ES512'" }[jwk.crv ?? '']
  if (jwk.kty === 'OKP' && jwk.crv === 'Ed25519') return "'EdDSA'"
  if (jwk.kty === 'oct') return "'HS256' (with the secret as `key`, not a JWK)"
  return undefined
}

/** PEM labels jose cannot import, and how to turn each into one it can. */
const PEM_FIXES: Record<string, string> = {
  'RSA PRIVATE KEY':
    'it is PKCS#1; convert it to PKCS#8 (-----BEGIN PRIVATE KEY-----): openssl pkcs8 -topk8 -nocrypt -in key.pem -out key.pkcs8.pem',
  'EC PRIVATE KEY':
    'it is SEC1; convert it to PKCS#8 (-----BEGIN PRIVATE KEY-----): openssl pkcs8 -topk8 -nocrypt -in key.pem -out key.pkcs8.pem',
  'ENCRYPTED PRIVATE KEY':
    'it is encrypted; decrypt it to a PKCS#8 PEM first: openssl pkcs8 -in key.pem -out key.plain.pem',
  'RSA PUBLIC KEY':
    'it is PKCS#1; convert it to SPKI (-----BEGIN PUBLIC KEY-----): openssl rsa -RSAPublicKey_in -in key.pem -pubout',
  CERTIFICATE: 'give the public key of the certificate instead: openssl x509 -in cert.pem -pubkey -noout',
  'OPENSSH PRIVATE KEY':
    'it is an OpenSSH key; export it as PKCS#8: ssh-keygen -p -m PKCS8 -N "" -f key (rewrites the file)',
}

/**
 * A key that jose or Web Crypto refused, as an error that names the option and the fix: a PEM of
 * another format, the key of another algorithm, a damaged PEM, a PEM whose line breaks became `\n`.
 */
export async function keyImportError(
  value: string | JWK,
  alg: AsymmetricAlgorithm,
  what: string,
  cause: unknown,
  importAs: (alg: AsymmetricAlgorithm) => Promise<unknown>,
): Promise<TypeError> {
  const because = `(${cause instanceof Error ? cause.message : String(cause)})`
  const fail = (fix: string) =>
    new TypeError(`tokenward: ${what} could not be imported as an ${alg} key ${because}: ${fix}`, { cause })
  if (typeof value === 'string') {
    if (value.includes('\\n') && !value.includes('\n'))
      return fail(
        'the PEM has the two characters \\n where its line breaks belong (an env var or JSON string?): ' +
          "pass key.replace(/\\\\n/g, '\\n')",
      )
    const label = /-----BEGIN ([A-Z0-9 ]+)-----/.exec(value)?.[1]
    if (label === undefined)
      return fail(
        'a key given as text must be PEM, -----BEGIN PRIVATE KEY----- (PKCS#8, signs) or -----BEGIN PUBLIC KEY----- ' +
          '(SPKI, only verifies); an HMAC secret goes in `secret`',
      )
    const fix = PEM_FIXES[label]
    if (fix) return fail(fix)
  } else if (typeof value.kty === 'string') {
    const suggested = algorithmOfJwk(value)
    if (suggested && !suggested.includes(`'${alg}'`))
      return fail(`this ${value.kty} JWK${value.crv ? ` (${value.crv})` : ''} is a key for alg ${suggested}`)
  }
  // Right format, wrong algorithm? Try the others (only on this error path).
  for (const other of ['RS256', 'PS256', 'ES256', 'ES384', 'ES512', 'EdDSA'] as const) {
    if (other === alg) continue
    try {
      await importAs(other)
      return fail(
        `it is a key for ${other}: set the \`alg\` of ${what} to '${other}', or give a key of ${alg}`,
      )
    } catch {
      // not this one either
    }
  }
  return fail(
    'the key is damaged (cut short, or its base64 changed) or of an unsupported type; ' +
      'generate one with: openssl genpkey -algorithm ed25519 (EdDSA), or -algorithm RSA -pkeyopt rsa_keygen_bits:3072',
  )
}
