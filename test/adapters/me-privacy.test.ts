// GET /auth/me never shows a password hash: not the field passwordHashOf reads,
// whatever its name, and no value that looks like a password hash, at any depth — on all three.
import express from 'express'
import Fastify from 'fastify'
import { Hono } from 'hono'
import { afterEach, describe, expect, it } from 'vitest'
import * as ex from '../../src/adapters/express.js'
import tokenward from '../../src/adapters/fastify.js'
import * as ho from '../../src/adapters/hono.js'
import { type AuthRouteOptions, createAuth } from '../../src/index.js'
import {
  FRAMEWORKS,
  type Framework,
  SECRET,
  type Served,
  serveExpress,
  serveFastify,
  serveHono,
} from './serve.js'

// A users table as a FastAPI app keeps it, plus hashes stored under names no list would guess.
const ROW = {
  id: 'u1',
  username: 'ada',
  full_name: 'Ada Lovelace',
  hashed_password: '$2b$12$R9h/cIPz0gi.URNNX3kh2OPST9/PgBkqquzi.Ss7KIUgO2t0jWMUW',
  legacy: {
    algo: 'argon2',
    stored: '$argon2id$v=19$m=65536,t=3,p=4$c29tZXNhbHQ$RdescudvJCsgt3ub+b+dWRWJTmaaJObG',
  },
  previous: ['$pbkdf2-sha256$29000$N2bMOYcQ4hyDsNYa4zxnLA$y2JtGyYv1BC4q2vvbdqD5DLyDSOMmVQ4fFuSRk4WbJo'],
  django: 'pbkdf2_sha256$600000$salt$hash',
  scrypted: '$scrypt$ln=16,r=8,p=1$c2FsdA$aGFzaA',
  pin: 'not-a-known-format-but-read-by-passwordHashOf',
  bio: 'Costs $2 and $5$ are just prices', // a dollar sign alone is not a hash
}

const routes = (passwordHashOf: (user: typeof ROW) => string) =>
  ({ findUser: () => ROW, passwordHashOf, rateLimit: false }) as AuthRouteOptions<unknown, object>

async function meApp(framework: Framework, options: AuthRouteOptions<unknown, object>): Promise<Served> {
  const auth = createAuth({ secret: SECRET, resolveUser: () => ROW })
  if (framework === 'express') {
    const app = express()
    app.use(ex.authRouter(auth, options))
    return serveExpress(app)
  }
  if (framework === 'fastify') {
    const app = Fastify()
    await app.register(tokenward, { auth, routes: options })
    return serveFastify(app)
  }
  const app = new Hono()
  app.route('/', ho.authRoutes(auth, options))
  return serveHono(app)
}

describe.each(FRAMEWORKS)('%s: GET /auth/me', (framework) => {
  let served: Served | undefined
  afterEach(async () => {
    await served?.close()
    served = undefined
  })
  const me = async () => {
    const token = (await createAuth({ secret: SECRET }).issueTokens({ sub: 'u1' })).accessToken
    const res = await fetch(`${served!.url}/auth/me`, { headers: { authorization: `Bearer ${token}` } })
    expect(res.status).toBe(200)
    return (await res.json()) as Record<string, unknown>
  }

  it('hides the field passwordHashOf reads and every value that looks like a password hash', async () => {
    served = await meApp(
      framework,
      routes((u) => u.hashed_password),
    )
    expect(await me()).toEqual({
      id: 'u1',
      username: 'ada',
      full_name: 'Ada Lovelace',
      legacy: { algo: 'argon2' },
      previous: [],
      pin: 'not-a-known-format-but-read-by-passwordHashOf',
      bio: 'Costs $2 and $5$ are just prices',
    })
  })

  it('hides what passwordHashOf reads even when it does not look like a hash', async () => {
    served = await meApp(
      framework,
      routes((u) => u.pin),
    )
    const shown = await me()
    expect(shown).not.toHaveProperty('pin')
    expect(shown).not.toHaveProperty('hashed_password')
    expect(JSON.stringify(shown)).not.toMatch(/\$2b\$|\$argon2|\$pbkdf2|\$scrypt|pbkdf2_sha256/)
  })

  it('scrubs hash-like values from what toPublicUser returns too', async () => {
    served = await meApp(framework, {
      ...routes((u) => u.hashed_password),
      toPublicUser: (u) => ({ name: (u as typeof ROW).full_name, hash: (u as typeof ROW).hashed_password }),
    })
    expect(await me()).toEqual({ name: 'Ada Lovelace' })
  })
})
