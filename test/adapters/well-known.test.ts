/** The root routes (JWKS, RFC 8414 metadata) are served by all three adapters when asymmetric keys are configured. */
import express from 'express'
import Fastify from 'fastify'
import { Hono } from 'hono'
import { createRemoteJWKSet, exportJWK, generateKeyPair, jwtVerify } from 'jose'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import * as ex from '../../src/adapters/express.js'
import tokenward from '../../src/adapters/fastify.js'
import * as ho from '../../src/adapters/hono.js'
import { type Auth, createAuth } from '../../src/index.js'
import { FRAMEWORKS, type Served, serveExpress, serveFastify, serveHono } from './serve.js'

let auth: Auth<object, unknown>
beforeAll(async () => {
  const { privateKey } = await generateKeyPair('EdDSA', { extractable: true })
  auth = createAuth({
    keys: [{ ...(await exportJWK(privateKey)), alg: 'EdDSA', kid: 'ed1' }],
    issuer: 'https://id.example.com',
  }) as Auth<object, unknown>
})

describe.each(FRAMEWORKS)('%s', (framework) => {
  let app: Served
  beforeAll(async () => {
    const routes = { findUser: () => null }
    if (framework === 'express') {
      const e = express()
      e.use(ex.authRouter(auth, routes))
      app = await serveExpress(e)
    } else if (framework === 'fastify') {
      const f = Fastify()
      await f.register(tokenward, { auth, routes })
      app = await serveFastify(f)
    } else {
      const h = new Hono()
      h.route('/', ho.authRoutes(auth, routes))
      app = await serveHono(h)
    }
  })
  afterAll(async () => app.close())

  it('serves /.well-known/jwks.json that jose verifies our tokens with, and the RFC 8414 metadata', async () => {
    const { accessToken } = await auth.issueTokens({ sub: 'u1' })
    const jwks = createRemoteJWKSet(new URL(`${app.url}/.well-known/jwks.json`))
    const { payload, protectedHeader } = await jwtVerify(accessToken, jwks, {
      typ: 'at+jwt',
      issuer: 'https://id.example.com',
    })
    expect(payload.sub).toBe('u1')
    expect(protectedHeader.kid).toBe('ed1')
    const meta = await fetch(`${app.url}/.well-known/oauth-authorization-server`)
    expect(meta.status).toBe(200)
    expect(await meta.json()).toMatchObject({
      issuer: 'https://id.example.com',
      token_endpoint: 'https://id.example.com/auth/token',
    })
  })
})
