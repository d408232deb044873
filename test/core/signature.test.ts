// Differential test: the native node:crypto verifier and the portable Web Crypto verifier accept
// and reject exactly the same tokens.
import fc from 'fast-check'
import { generateKeyPair } from 'jose'
import { describe, expect, it } from 'vitest'
import {
  type Algorithm,
  createPortableVerifier,
  createVerifier,
  type KeyMaterial,
} from '../../src/core/keys/signature.js'
import { createAuth } from '../../src/index.js'

const SECRET = 'backend-test-secret-at-least-32-bytes!!'

async function material(alg: Algorithm): Promise<{ key: KeyMaterial; tokens: string[] }> {
  let key: KeyMaterial
  let auth: ReturnType<typeof createAuth>
  if (alg === 'HS256') {
    const secret = new TextEncoder().encode(SECRET)
    const k = await crypto.subtle.importKey('raw', secret, { name: 'HMAC', hash: 'SHA-256' }, false, [
      'sign',
      'verify',
    ])
    key = { alg, verifyKey: k, secret }
    auth = createAuth({ secret: SECRET })
  } else {
    const pair = await generateKeyPair(alg, { extractable: true })
    key = { alg, verifyKey: pair.publicKey }
    auth = createAuth({ keys: [{ kid: 'k', alg, key: pair.privateKey }] })
  }
  const tokens = await Promise.all(
    [1, 2, 3].map(async (i) => (await auth.issueTokens({ sub: `u${i}` })).accessToken),
  )
  return { key, tokens }
}

describe.each(['HS256', 'ES256', 'EdDSA', 'RS256', 'PS256'] as const)(
  '%s: native and Web Crypto backends agree',
  (alg) => {
    it('on valid and mutated tokens', async () => {
      const { key, tokens } = await material(alg)
      const native = createVerifier(key)
      expect(native.backend).toBe('native')
      const portable = createPortableVerifier(key)
      const check = async (token: string) => {
        const dot = token.lastIndexOf('.')
        const input = token.slice(0, dot)
        const sig = token.slice(dot + 1)
        if (!/^[A-Za-z0-9_-]*$/.test(sig) || sig === '') return
        expect(await native.verify(input, sig)).toBe(await portable(input, sig))
      }
      for (const t of tokens) {
        const dot = t.lastIndexOf('.')
        expect(await native.verify(t.slice(0, dot), t.slice(dot + 1))).toBe(true)
      }
      await fc.assert(
        fc.asyncProperty(
          fc.constantFrom(...tokens),
          fc.nat(),
          fc.constantFrom(...'AQgw_-9z'),
          async (token, pos, ch) => {
            const i = pos % token.length
            await check(token.slice(0, i) + ch + token.slice(i + 1))
          },
        ),
        { numRuns: 200, seed: 11 },
      )
      // A signature from another token of the same key over this token's input.
      const [a, b] = tokens
      await check(`${a!.slice(0, a!.lastIndexOf('.'))}.${b!.slice(b!.lastIndexOf('.') + 1)}`)
    })
  },
)
