// tokenward/express on Express 4 (the peer range allows ^4.21): the DPoP `htu`
// the adapter rebuilds keeps the port (Express 4's req.host is the hostname alone), and under
// `trust proxy` it is the forwarded scheme and host, port included. Express 4 is installed as the
// alias package `express4`; the adapter is the one from src/.
import type { Express } from 'express'
import express4 from 'express4'
import { afterEach, describe, expect, it } from 'vitest'
import * as ex from '../../../src/adapters/express.js'
import { type Auth, type AuthRouteOptions, createAuth } from '../../../src/index.js'
import { serveExpress } from '../../adapters/serve.js'
import { errorOf, newDpopKey, type Pair, postJson, proof, ROUTES, SECRET, type Served } from './app.js'

const CREDENTIALS = { username: 'ada', password: 'ada-password' }

/** The auth routes on an Express 4 app, listening on a random port of 127.0.0.1. */
function serveExpress4(options: { trustProxy?: boolean } = {}): Promise<Served> {
  const auth = createAuth({ secret: SECRET, dpop: true }) as unknown as Auth<object, unknown>
  const app = express4()
  if (options.trustProxy) app.set('trust proxy', true)
  // The adapter is typed against Express 5's types; at runtime a Router is a plain middleware.
  app.use(
    ex.authRouter(auth, ROUTES as AuthRouteOptions<unknown, object>) as unknown as express4.RequestHandler,
  )
  return serveExpress(app as unknown as Express)
}

describe('Express 4: DPoP htu', () => {
  let app: Served | undefined
  afterEach(async () => {
    await app?.close()
    app = undefined
  })

  it('signs in with a proof whose htu names the random port the server listens on, and refreshes the bound token', async () => {
    app = await serveExpress4()
    expect(new URL(app.url).port).not.toBe('')
    const key = await newDpopKey()
    const login = await postJson(`${app.url}/auth/login`, CREDENTIALS, {
      dpop: await proof(key, 'POST', `${app.url}/auth/login`),
    })
    expect(login.status).toBe(200)
    const pair = (await login.json()) as Pair
    expect(pair.token_type).toBe('DPoP')
    const refreshed = await postJson(
      `${app.url}/auth/refresh`,
      { refresh_token: pair.refresh_token },
      { dpop: await proof(key, 'POST', `${app.url}/auth/refresh`) },
    )
    expect(refreshed.status).toBe(200)
  })

  it('under trust proxy takes the forwarded scheme and host, port included (X-Forwarded-Proto, X-Forwarded-Host)', async () => {
    app = await serveExpress4({ trustProxy: true })
    const key = await newDpopKey()
    const login = await postJson(`${app.url}/auth/login`, CREDENTIALS, {
      'x-forwarded-proto': 'https',
      'x-forwarded-host': 'api.example.com:8443',
      dpop: await proof(key, 'POST', 'https://api.example.com:8443/auth/login'),
    })
    expect(login.status).toBe(200)
    expect(((await login.json()) as Pair).token_type).toBe('DPoP')
  })

  it('without trust proxy ignores X-Forwarded-Host: a proof for the forwarded URL is refused (401 invalid_dpop_proof)', async () => {
    app = await serveExpress4()
    const key = await newDpopKey()
    const login = await postJson(`${app.url}/auth/login`, CREDENTIALS, {
      'x-forwarded-proto': 'https',
      'x-forwarded-host': 'api.example.com:8443',
      dpop: await proof(key, 'POST', 'https://api.example.com:8443/auth/login'),
    })
    expect(login.status).toBe(401)
    expect(await errorOf(login)).toBe('invalid_dpop_proof')
  })
})
