// The client side of DPoP for the benchmarks (RFC 9449 §4.2): a key pair, and a fresh proof — a new
// jti, iat now — for every request, made with jose, as a DPoP client makes them.
import { createHash } from 'node:crypto'
import { calculateJwkThumbprint, exportJWK, generateKeyPair, SignJWT } from 'jose'

/**
 * A new ES256 key; the function it resolves to makes a proof for `htm` `htu` (and `accessToken`).
 * Its `jkt` is the key's thumbprint (RFC 7638), as the server names the proofs it keeps.
 */
export async function dpopSigner() {
  const { privateKey, publicKey } = await generateKeyPair('ES256')
  const jwk = await exportJWK(publicKey)
  const jkt = await calculateJwkThumbprint(jwk)
  const sign = (htm, htu, accessToken) => {
    const claims = { htm, htu, jti: crypto.randomUUID(), iat: Math.floor(Date.now() / 1000) }
    if (accessToken !== undefined) claims.ath = createHash('sha256').update(accessToken).digest('base64url')
    return new SignJWT(claims).setProtectedHeader({ typ: 'dpop+jwt', alg: 'ES256', jwk }).sign(privateKey)
  }
  return Object.assign(sign, { jkt })
}
