// The auth routes alone, served on Express, Fastify or Hono, and the client side the invariant tests
// share: a fixed pair of users, Basic client credentials, DPoP proofs made with jose,
// and a look at a token's claims (never a check of its signature: that is the server's job).
import express from 'express'
import Fastify from 'fastify'
import { Hono } from 'hono'
import { exportJWK, generateKeyPair, type JWK, SignJWT } from 'jose'
import * as ex from '../../../src/adapters/express.js'
import tokenward from '../../../src/adapters/fastify.js'
import * as ho from '../../../src/adapters/hono.js'
import type { Auth, AuthRouteOptions } from '../../../src/index.js'
import { type Framework, type Served, serveExpress, serveFastify, serveHono } from '../../adapters/serve.js'

export { cookieIn, errorOf, FRAMEWORKS, jarOf, type Served } from '../../adapters/serve.js'

export const SECRET = 'session-invariants-test-secret-32-bytes!'
export const T0 = Date.UTC(2026, 0, 1)

const PASSWORDS: Record<string, { id: string; password: string }> = {
  ada: { id: 'u-ada', password: 'ada-password' },
  bob: { id: 'u-bob', password: 'bob-password' },
}

/** Fast route options: the app checks passwords itself (no argon2), no rate limit in the way. */
export const ROUTES: AuthRouteOptions<{ id: string }> = {
  verifyCredentials: (username, password) =>
    PASSWORDS[username]?.password === password ? { id: PASSWORDS[username]!.id } : null,
  rateLimit: false,
}

type AnyAuth = Auth<object, unknown>
type AnyRoutes = AuthRouteOptions<unknown, object>

/**
 * The auth routes (and the root routes, with asymmetric keys) of `auth` on `framework`; `options`
 * replace those of {@link ROUTES} (a rate limit, `trustProxy`).
 */
export async function serveAuth(
  framework: Framework,
  auth: unknown,
  options: Pick<AuthRouteOptions, 'rateLimit' | 'trustProxy'> = {},
): Promise<Served> {
  const a = auth as AnyAuth
  const routes = { ...ROUTES, ...options } as AnyRoutes
  if (framework === 'express') {
    const app = express()
    app.use(ex.authRouter(a, routes))
    return serveExpress(app)
  }
  if (framework === 'fastify') {
    const app = Fastify()
    await app.register(tokenward, { auth: a, routes })
    return serveFastify(app)
  }
  const app = new Hono()
  app.route('/', ho.authRoutes(a, routes))
  return serveHono(app)
}

/** `Authorization: Basic` for an OAuth client (RFC 6749 §2.3.1: each part form-urlencoded). */
export function basic(id: string, secret: string): string {
  const enc = (s: string) => encodeURIComponent(s).replace(/%20/g, '+')
  return `Basic ${Buffer.from(`${enc(id)}:${enc(secret)}`).toString('base64')}`
}

/** The payload of a JWS, unverified. */
export function claimsOf(token: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()) as Record<string, unknown>
}

export interface DpopKey {
  privateKey: CryptoKey
  jwk: JWK
}

export async function newDpopKey(): Promise<DpopKey> {
  const { privateKey, publicKey } = await generateKeyPair('ES256')
  return { privateKey, jwk: await exportJWK(publicKey) }
}

const sha256 = async (text: string): Promise<string> =>
  Buffer.from(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(text))).toString('base64url')

/** A DPoP proof (RFC 9449 §4.2) for `htm` `htu`, made at `now`; `accessToken` adds its `ath`. */
export async function proof(
  key: DpopKey,
  htm: string,
  htu: string,
  accessToken?: string,
  now: number = Date.now(),
): Promise<string> {
  const claims: Record<string, unknown> = { htm, htu, jti: crypto.randomUUID(), iat: Math.floor(now / 1000) }
  if (accessToken !== undefined) claims.ath = await sha256(accessToken)
  return new SignJWT(claims)
    .setProtectedHeader({ typ: 'dpop+jwt', alg: 'ES256', jwk: key.jwk })
    .sign(key.privateKey)
}

export interface Pair {
  access_token: string
  refresh_token: string
  token_type: string
}

/** POST a JSON body. */
export function postJson(
  url: string,
  body: unknown,
  headers: Record<string, string> = {},
): Promise<Response> {
  return fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  })
}

/** POST a form body (the OAuth endpoints). */
export function postForm(url: string, fields: Record<string, string>, headers: Record<string, string> = {}) {
  return fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    body: new URLSearchParams(fields).toString(),
  })
}
