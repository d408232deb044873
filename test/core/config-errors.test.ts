// The configuration mistakes a newcomer makes, one test each: the error names the option that is
// wrong and says what to write instead. (Unknown option names, NaN limits, callbacks that are not
// functions and a store missing methods are in options.test.ts; key material as an HMAC secret in
// keys-and-schema.test.ts.)
import { generateKeyPairSync } from 'node:crypto'
import Fastify from 'fastify'
import { describe, expect, it } from 'vitest'
import { authRouter } from '../../src/adapters/express.js'
import tokenward from '../../src/adapters/fastify.js'
import { authRoutes } from '../../src/adapters/hono.js'
import { type AuthOptions, createAuth } from '../../src/index.js'
import { redisStore } from '../../src/stores/redis/index.js'
import { SECRET } from '../helpers.js'

const ed = generateKeyPairSync('ed25519')
const edPem = ed.privateKey.export({ type: 'pkcs8', format: 'pem' }) as string
const edPublicPem = ed.publicKey.export({ type: 'spki', format: 'pem' }) as string
const edJwk = ed.privateKey.export({ format: 'jwk' })
const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 })

const make = (options: unknown) => () => createAuth(options as AuthOptions)
/** Keys are imported after createAuth returns: a bad one rejects ready() (and every call). */
const importing = (options: unknown) => createAuth(options as AuthOptions).ready()

describe('key options: the error names the option and the fix', () => {
  it('a damaged PEM: names keys[0] and its algorithm instead of a bare error from jose', async () => {
    const damaged = edPem.replace(/\n(.{8})/, '\n!!!!!!!!')
    await expect(importing({ keys: [{ alg: 'EdDSA', key: damaged }] })).rejects.toThrow(
      /keys\[0\] could not be imported as an EdDSA key \(.+\): the key is damaged/,
    )
  })

  it('a PEM of another algorithm: says which alg the key is for', async () => {
    await expect(importing({ keys: [{ alg: 'RS256', key: edPem }] })).rejects.toThrow(
      "it is a key for EdDSA: set the `alg` of keys[0] to 'EdDSA'",
    )
  })

  it('a PEM of another format (PKCS#1, SEC1, a certificate): gives the openssl command that converts it', async () => {
    const pkcs1 = rsa.privateKey.export({ type: 'pkcs1', format: 'pem' }) as string
    await expect(importing({ keys: [{ alg: 'RS256', key: pkcs1 }] })).rejects.toThrow(
      'it is PKCS#1; convert it to PKCS#8 (-----BEGIN PRIVATE KEY-----): openssl pkcs8 -topk8 -nocrypt',
    )
    const sec1 = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({
      type: 'sec1',
      format: 'pem',
    })
    await expect(importing({ keys: [{ alg: 'ES256', key: sec1 }] })).rejects.toThrow(
      'it is SEC1; convert it to PKCS#8 (-----BEGIN PRIVATE KEY-----): openssl pkcs8 -topk8 -nocrypt',
    )
    const der = rsa.publicKey.export({ type: 'spki', format: 'der' }).toString('base64')
    const certificate = `-----BEGIN CERTIFICATE-----\n${der}\n-----END CERTIFICATE-----`
    await expect(importing({ keys: [{ alg: 'RS256', key: certificate }] })).rejects.toThrow(
      'give the public key of the certificate instead: openssl x509 -in cert.pem -pubkey -noout',
    )
  })

  it('a PEM whose line breaks became the two characters \\n (an env var): says how to restore them', async () => {
    const escaped = edPem.trim().replace(/\n/g, '\\n')
    await expect(importing({ keys: [{ alg: 'EdDSA', key: escaped }] })).rejects.toThrow(
      "the PEM has the two characters \\n where its line breaks belong (an env var or JSON string?): pass key.replace(/\\\\n/g, '\\n')",
    )
  })

  it('text that is not PEM as a key: says what a key looks like, and where a secret goes', async () => {
    await expect(importing({ keys: [{ alg: 'EdDSA', key: 'my-ed25519-key' }] })).rejects.toThrow(
      /keys\[0\] could not be imported .* must be PEM, -----BEGIN PRIVATE KEY----- .* an HMAC secret goes in `secret`/,
    )
  })

  it('a JWK without alg: names the alg its kty and crv call for', () => {
    expect(make({ keys: [{ ...edJwk }] })).toThrow('keys[0] needs an `alg`')
    expect(make({ keys: [{ ...edJwk }] })).toThrow("add alg: 'EdDSA' to this OKP JWK")
    const p384 = generateKeyPairSync('ec', { namedCurve: 'P-384' }).privateKey.export({ format: 'jwk' })
    expect(make({ keys: [{ ...p384 }] })).toThrow("add alg: 'ES384' to this EC JWK")
  })

  it('a JWK with the alg of another key type: names the right alg', async () => {
    await expect(importing({ keys: [{ ...edJwk, alg: 'ES256' }] })).rejects.toThrow(
      "this OKP JWK (Ed25519) is a key for alg 'EdDSA'",
    )
  })

  it('a PEM without its alg: lists the alg of each key type', () => {
    expect(make({ keys: [{ key: edPem }] })).toThrow(
      "keys[0] needs an `alg`, the algorithm the key is pinned to (RFC 8725 §3.1): 'RS256' for an RSA key",
    )
  })

  it("keys: 'a string', keys: { … } and keys: [pem]: says what keys holds", () => {
    expect(make({ keys: SECRET })).toThrow(
      '`keys` must be a non-empty array, got a string — for one HMAC secret use `secret: …` instead',
    )
    expect(make({ keys: { alg: 'EdDSA', key: edPem } })).toThrow(
      'wrap the key in a list: keys: [{ alg, key }]',
    )
    expect(make({ keys: [] })).toThrow('`keys` must be a non-empty array, got an array —')
    expect(make({ keys: [edPem] })).toThrow(
      "keys[0] must be { alg, key } or a JWK, got a string — write keys: [{ alg: 'EdDSA'",
    )
  })

  it("alg: 'none' or a made-up alg: lists the supported ones", () => {
    expect(make({ keys: [{ alg: 'none', key: edPem }] })).toThrow(
      /unsupported alg none — use one of HS256, .*EdDSA \(unsigned tokens are never accepted\)/,
    )
    expect(make({ keys: [{ alg: 'ED25519', key: edPem }] })).toThrow('unsupported alg ED25519 — use one of')
  })

  it("algorithm: 'RS256' with a secret: says a key pair goes in keys", () => {
    expect(make({ secret: SECRET, algorithm: 'RS256' })).toThrow(
      "`algorithm` for a secret must be HS256, HS384 or HS512, got RS256 — a secret signs with HMAC; for RS256 drop `secret` and `algorithm` and give the key pair: keys: [{ alg: 'RS256', key: privateKeyPem }]",
    )
  })

  it('a secret that is not a string: names its type', () => {
    expect(make({ secret: 1234567890 })).toThrow(
      '`secret` must be a string or a Uint8Array, got a number — e.g. secret: process.env.JWT_SECRET',
    )
  })

  it('no key source (an unset env var) or two of them: names what was given and what each is for', () => {
    expect(make({ secret: undefined })).toThrow(
      'give exactly one of `secret`, `keys`, `jwks` or `keyResolver` (none given; an env var that is not set is `undefined`)',
    )
    expect(make({ secret: SECRET, keys: [{ alg: 'EdDSA', key: edPem }] })).toThrow(
      '(got `secret` and `keys`)',
    )
    expect(make({ secret: SECRET, keys: [{ alg: 'EdDSA', key: edPem }] })).toThrow(
      '`jwks` or `keyResolver` to only verify tokens signed elsewhere',
    )
  })

  it("jwks: 'not a url': shows what a JWK Set URL looks like", () => {
    expect(make({ jwks: 'not a url' })).toThrow(
      "`jwks` must be an http(s) URL, got 'not a url' — the address of the issuer's JWK Set, e.g. 'https://",
    )
    expect(make({ jwks: 'file:///etc/jwks.json' })).toThrow('`jwks` must be an http(s) URL')
  })

  it('jwks given the key set itself ({ keys: [...] }) instead of its URL: points to keys', () => {
    const { d: _private, ...publicJwk } = edJwk
    expect(make({ jwks: { keys: [{ ...publicJwk, alg: 'EdDSA' }] } })).toThrow(
      '`jwks` takes the URL of a JWK Set, not the keys themselves — for keys you already have, use `keys: jwkSet.keys`',
    )
  })

  it('issuing with only a public key: says a private key must come first in keys', async () => {
    const auth = createAuth({ keys: [{ alg: 'EdDSA', key: edPublicPem }] })
    await expect(auth.issueTokens({ sub: 'u1' })).rejects.toThrow(
      'to issue tokens give `secret`, or put a private key first in `keys` (PEM -----BEGIN PRIVATE KEY-----',
    )
  })
})

describe('redisStore: the error says what client to pass, and how', () => {
  it('no options, no client, a URL instead of a client', () => {
    expect(() => (redisStore as (o?: unknown) => unknown)()).toThrow(
      "redisStore needs options: redisStore({ client }), with const client = createClient({ url }) from 'redis'",
    )
    expect(() => redisStore({} as never)).toThrow(
      "redisStore `client` must be a node-redis or ioredis client, got undefined — const client = createClient({ url }) from 'redis' (then await client.connect()), or new Redis(url) from 'ioredis'",
    )
    expect(() => redisStore({ client: 'redis://127.0.0.1:6379' } as never)).toThrow(
      "got the string 'redis://127.0.0.1:6379' (a URL is not a client)",
    )
    // The message goes to logs: a URL's password is never in it.
    expect(() => redisStore({ client: 'redis://:hunter2@cache:6379' } as never)).toThrow(
      "got the string 'redis://:***@cache:6379' (a URL is not a client)",
    )
  })

  it('the client itself instead of { client }', () => {
    const client = { sendCommand: async () => null }
    expect(() => redisStore(client as never)).toThrow(
      'pass the Redis client as an option: redisStore({ client }), not redisStore(client)',
    )
  })

  it('an object that is neither node-redis nor ioredis (a wrapper, or client options)', () => {
    expect(() => redisStore({ client: { url: 'redis://127.0.0.1:6379' } } as never)).toThrow(
      'got an object with neither `sendCommand` nor `call` — pass the client itself, not a wrapper or its options',
    )
  })
})

describe('auth routes without their options: the error shows the call to write', () => {
  const auth = createAuth({ secret: SECRET })

  it('authRouter(auth) on Express', () => {
    expect(() => (authRouter as (a: unknown) => unknown)(auth)).toThrow(
      'the auth routes need options — authRouter(auth, { findUser }), authRoutes(auth, { findUser }) or Fastify',
    )
    expect(() => (authRouter as (a: unknown) => unknown)(auth)).toThrow(
      '`findUser: (username) => user or null` returns your user with its `passwordHash` (hashPassword from tokenward/password)',
    )
  })

  it('authRouter(auth, {}): names findUser and verifyCredentials, with their shapes', () => {
    expect(() => authRouter(auth, {} as never)).toThrow(
      /the auth routes need `findUser` or `verifyCredentials`\. `findUser: \(username\) => user or null`.*`verifyCredentials: \(username, password\) => user or null`/,
    )
  })

  it('authRoutes(auth) on Hono', () => {
    expect(() => (authRoutes as (a: unknown) => unknown)(auth)).toThrow(
      'authRoutes(auth, options) needs options: authRoutes(auth, { findUser: (username) => user or null })',
    )
  })

  it('routes: true on Fastify', async () => {
    const app = Fastify()
    await expect(
      (async () => {
        await app.register(tokenward, { auth, routes: true as never })
        await app.ready()
      })(),
    ).rejects.toThrow("Fastify's routes: { findUser } — got true")
    await app.close()
  })
})
