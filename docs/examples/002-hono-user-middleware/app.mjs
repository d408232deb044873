// Seed 002 (Ravyn): middleware that validates the Bearer token and injects the user from a user
// class; protect every route, or only an included group — on Hono.
// Run: node docs/examples/002-hono-user-middleware/app.mjs
import { pathToFileURL } from 'node:url'
import { serve } from '@hono/node-server'
import { Hono } from 'hono'
import { createAuth } from 'tokenward'
import { authenticate } from 'tokenward/hono'

export class User {
  constructor(id, name, isActive = true) {
    this.id = id
    this.name = name
    this.isActive = isActive
  }
  static #rows = new Map([
    ['u1', new User('u1', 'Ada')],
    ['u2', new User('u2', 'Inactive Ivan', false)],
  ])
  static async get(id) {
    const user = User.#rows.get(id)
    return user?.isActive ? user : null
  }
}

export const auth = createAuth({
  secret: process.env.JWT_SECRET ?? 'seed-002-secret-at-least-32-bytes-long!!',
  resolveUser: (claims) => User.get(claims.sub),
})

/** Every route needs a token. */
export function protectAll() {
  const app = new Hono()
  app.use('*', authenticate(auth))
  app.get('/', (c) => c.json({ hello: c.var.user.name }))
  app.get('/items', (c) => c.json({ owner: c.var.user.id, items: [] }))
  return app
}

/** Only the included group needs a token. */
export function protectGroup() {
  const app = new Hono()
  app.get('/', (c) => c.json({ hello: 'anyone' }))
  const included = new Hono()
  included.use('*', authenticate(auth))
  included.get('/items', (c) => c.json({ owner: c.var.user.id, items: [] }))
  app.route('/private', included)
  return app
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const token = (await auth.issueTokens({ sub: 'u1' })).accessToken
  const port = Number(process.env.PORT || 3000)
  serve({ fetch: protectGroup().fetch, port, hostname: '127.0.0.1' }, (info) =>
    console.log(`seed 002 on http://127.0.0.1:${info.port} — token for u1:`, token),
  )
}
