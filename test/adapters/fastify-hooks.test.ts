import Fastify, { type FastifyInstance } from 'fastify'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import tokenward from '../../src/adapters/fastify.js'
import { createAuth } from '../../src/index.js'

// app.authenticate / app.authorize run callback-style when Fastify calls them as hooks and return a
// promise when called directly; both must answer the same.
describe('fastify: app.authenticate as a hook and as a direct call', () => {
  const auth = createAuth({ secret: 'fastify-hooks-test-secret-at-least-32-bytes!' })
  let app: FastifyInstance
  let base: string
  let token: string

  beforeAll(async () => {
    app = Fastify()
    await app.register(tokenward, { auth })
    app.get('/direct', async (request, reply) => {
      await app.authenticate.call(app, request, reply)
      if (reply.sent) return reply
      return { sub: request.auth?.claims.sub }
    })
    await app.register(async (api) => {
      api.addHook('onRequest', api.authorize({ roles: ['admin'] }))
      api.get('/admin-hook', async (request) => ({ sub: request.auth?.claims.sub }))
    })
    await app.register(async (api) => {
      api.addHook('preHandler', api.authenticate)
      api.get('/hooked', async (request) => ({ sub: request.user && request.auth?.claims.sub }))
    })
    base = await app.listen({ port: 0, host: '127.0.0.1' })
    token = (await auth.issueTokens({ sub: 'ada', roles: ['admin'] })).accessToken
  })
  afterAll(() => app.close())

  const get = (path: string, t?: string) =>
    fetch(`${base}${path}`, t ? { headers: { authorization: `Bearer ${t}` } } : {})

  it('direct call: authenticates, or answers 401 and the handler stops', async () => {
    const ok = await get('/direct', token)
    expect(ok.status).toBe(200)
    expect(await ok.json()).toEqual({ sub: 'ada' })
    const missing = await get('/direct')
    expect(missing.status).toBe(401)
    expect((await missing.json()).error).toBe('token_missing')
  })

  it('as an onRequest and a preHandler hook: authenticates, authorizes, or answers the error', async () => {
    expect(await (await get('/admin-hook', token)).json()).toEqual({ sub: 'ada' })
    const user = (await auth.issueTokens({ sub: 'bob', roles: ['user'] })).accessToken
    const forbidden = await get('/admin-hook', user)
    expect(forbidden.status).toBe(403)
    expect((await forbidden.json()).error).toBe('insufficient_role')
    expect(await (await get('/hooked', token)).json()).toEqual({ sub: 'ada' })
    const garbage = await get('/hooked', 'not.a.token')
    expect(garbage.status).toBe(401)
    expect((await garbage.json()).error).toBe('token_malformed')
  })
})
