// The signed double-submit CSRF token (core/credentials/csrf.ts), the cookie settings it rides on,
// and the HMAC and comparison under it (core/lib/native.ts).
import { createHmac, generateKeyPairSync } from 'node:crypto'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { csrfKeysOf } from '../../src/core/context.js'
import { resolveCookies, sessionOf } from '../../src/core/credentials/cookies.js'
import { csrfKeys } from '../../src/core/credentials/csrf.js'
import { portableHmacSha256, safeEqual } from '../../src/core/lib/native.js'
import { createAuth } from '../../src/index.js'

const SECRET = 'csrf-test-secret-at-least-32-bytes-long!!'
const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex')
const keysOf = (auth: object) => csrfKeysOf(auth)

describe('the portable HMAC-SHA256 of @noble/hashes (runtimes without node:crypto)', () => {
  it('matches the RFC 4231 test vectors', () => {
    const cases: [Uint8Array, Uint8Array, string][] = [
      [
        new Uint8Array(20).fill(0x0b),
        new TextEncoder().encode('Hi There'),
        'b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7',
      ],
      [
        new TextEncoder().encode('Jefe'),
        new TextEncoder().encode('what do ya want for nothing?'),
        '5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843',
      ],
      [
        new Uint8Array(131).fill(0xaa),
        new TextEncoder().encode('Test Using Larger Than Block-Size Key - Hash Key First'),
        '60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54',
      ],
    ]
    for (const [key, data, mac] of cases) expect(hex(portableHmacSha256(key, data))).toBe(mac)
  })

  it('agrees with node:crypto on random keys and messages of every length', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), fc.uint8Array({ maxLength: 300 }), (key, data) => {
        expect(hex(portableHmacSha256(key, data))).toBe(createHmac('sha256', key).update(data).digest('hex'))
      }),
      { numRuns: 300 },
    )
  })
})

describe('the constant-time comparison', () => {
  it('is string equality, whatever the lengths and characters', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 40 }), fc.string({ maxLength: 40 }), (a, b) => {
        expect(safeEqual(a, b)).toBe(a === b)
        expect(safeEqual(a, a)).toBe(true)
      }),
      { numRuns: 300 },
    )
    expect(safeEqual('secret', 'secret\u0000')).toBe(false)
    expect(safeEqual('', '')).toBe(true)
  })
})

describe('CSRF keys', () => {
  it('are derived from the secret: two instances sharing it agree, another secret does not', () => {
    const a = keysOf(createAuth({ secret: SECRET }))
    const b = keysOf(createAuth({ secret: SECRET }))
    const other = keysOf(createAuth({ secret: `${SECRET}-other` }))
    const token = a.tokenFor('family-1')
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/)
    expect(b.matches('family-1', token)).toBe(true)
    expect(b.matches('family-2', token)).toBe(false)
    expect(other.matches('family-1', token)).toBe(false)
    expect(a.source).toBe('keys')
  })

  it('are derived from a private key (PEM line endings aside) and survive a key rotation', () => {
    const { privateKey } = generateKeyPairSync('ed25519')
    const pem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString()
    const { privateKey: next } = generateKeyPairSync('ed25519')
    const nextPem = next.export({ type: 'pkcs8', format: 'pem' }).toString()
    const old = keysOf(createAuth({ keys: [{ alg: 'EdDSA', key: pem }] }))
    const crlf = keysOf(createAuth({ keys: [{ alg: 'EdDSA', key: pem.replace(/\n/g, '\r\n') }] }))
    const rotated = keysOf(
      createAuth({
        keys: [
          { alg: 'EdDSA', key: nextPem },
          { alg: 'EdDSA', key: pem },
        ],
      }),
    )
    const token = old.tokenFor('f')
    expect(crlf.matches('f', token)).toBe(true)
    expect(rotated.matches('f', token)).toBe(true) // made before the rotation, old key still configured
    expect(rotated.tokenFor('f')).not.toBe(token) // new ones are made with the new key
  })

  it('make createAuth ask for cookies.csrfSecret when the keys carry no secret', () => {
    const { publicKey } = generateKeyPairSync('ed25519')
    const pub = publicKey.export({ type: 'spki', format: 'pem' }).toString()
    expect(() => createAuth({ keys: [{ alg: 'EdDSA', key: pub }], cookies: true })).toThrow(
      /set createAuth's `cookies.csrfSecret`/,
    )
    expect(() => createAuth({ jwks: 'https://idp.example/jwks.json', cookies: true })).toThrow(/csrfSecret/)
    const withSecret = createAuth({
      jwks: 'https://idp.example/jwks.json',
      cookies: { csrfSecret: 'shared-between-services-32-bytes-at-least!' },
    })
    expect(keysOf(withSecret).source).toBe('keys')
    expect(() => createAuth({ secret: SECRET, cookies: { csrfSecret: 'short' } })).toThrow(
      /at least 32 bytes/,
    )
    // Without cookie mode nothing is asked.
    expect(() => createAuth({ keys: [{ alg: 'EdDSA', key: pub }] })).not.toThrow()
  })

  it('are random per process for cookie settings resolved outside an Auth', () => {
    const cookies = resolveCookies(true)!
    expect(cookies.csrf.source).toBe('process')
    expect(cookies.csrf.matches('f', cookies.csrf.tokenFor('f'))).toBe(true)
    expect(csrfKeys({}).source).toBe('none')
  })
})

describe('cookie names and options', () => {
  it('default to __Host-/__Secure- when secure, and to __Secure- when a domain or path rules __Host- out', () => {
    expect(resolveCookies(true)!.names).toEqual({
      access: '__Host-tw_access',
      refresh: '__Secure-tw_refresh',
      csrf: '__Host-tw_csrf',
    })
    expect(resolveCookies({ domain: 'example.com' })!.names.access).toBe('__Secure-tw_access')
    expect(resolveCookies({ path: '/app' })!.names.csrf).toBe('__Secure-tw_csrf')
    expect(resolveCookies({ secure: false })!.names).toEqual({
      access: 'tw_access',
      refresh: 'tw_refresh',
      csrf: 'tw_csrf',
    })
  })

  it('refuse names whose prefix the attributes cannot honour', () => {
    const make = (cookies: object) => () => createAuth({ secret: SECRET, cookies })
    expect(make({ names: { refresh: '__Host-rt' } })).toThrow(/refresh cookie is scoped/)
    expect(make({ secure: false, names: { access: '__Secure-at' } })).toThrow(/__Secure-, which needs secure/)
    expect(make({ domain: 'example.com', names: { csrf: '__Host-x' } })).toThrow(/__Host-, which needs/)
    expect(make({ names: { access: 'a b' } })).toThrow(/must be a cookie name/)
    expect(make({ names: { access: 'sid' } })).not.toThrow()
  })

  it('read the session of a token without trusting it, and never throw on garbage', () => {
    const payload = Buffer.from(JSON.stringify({ sub: 'u', fid: 'fam' })).toString('base64url')
    expect(sessionOf(`e30.${payload}.sig`)).toBe('fam')
    fc.assert(
      fc.property(fc.string({ maxLength: 300 }), (junk) => {
        const fid = sessionOf(junk)
        expect(fid === undefined || typeof fid === 'string').toBe(true)
      }),
    )
  })
})
