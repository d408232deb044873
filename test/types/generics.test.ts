// Claims and user generics flow from createAuth into every adapter; wrong usage does not compile
// (tsc checks the @ts-expect-error lines: `npm run typecheck`).
import type { Request } from 'express'
import type { FastifyRequest } from 'fastify'
import { Hono } from 'hono'
import { describe, expect, expectTypeOf, it } from 'vitest'
import { getAuth } from '../../src/adapters/express.js'
import { type AuthEnv, authenticate, requireRoles } from '../../src/adapters/hono.js'
import { type AuthContext, createAuth } from '../../src/index.js'

type Claims = { roles: string[]; tenant: string }
type User = { id: string; name: string }
const auth = createAuth<Claims, User>({
  secret: 'types-test-secret-at-least-32-bytes-long',
  resolveUser: (claims) => ({ id: claims.sub, name: claims.tenant }),
})

describe('generics', () => {
  it('types the core context', () => {
    expectTypeOf(auth.authenticate).returns.resolves.toEqualTypeOf<AuthContext<Claims, User>>()
    expectTypeOf(auth.verifyAccessToken).returns.resolves.toHaveProperty('tenant').toEqualTypeOf<string>()
    // @ts-expect-error: `tenant` is required by the claims type
    void (() => auth.issueTokens({ sub: 'u1', roles: [] }))
    // @ts-expect-error: `sub` is required
    void (() => auth.issueTokens({ roles: [], tenant: 't' }))
  })

  it('types Express through getAuth', () => {
    const read = (req: Request) => getAuth<Claims, User>(req)
    expectTypeOf(read).returns.toHaveProperty('user').toEqualTypeOf<User>()
    expectTypeOf(read).returns.toHaveProperty('claims').toHaveProperty('tenant').toEqualTypeOf<string>()
  })

  it('types Fastify request decorations', () => {
    expectTypeOf<FastifyRequest['auth']>().toEqualTypeOf<AuthContext<object, unknown> | null>()
  })

  it('types Hono c.var.user and c.var.auth', () => {
    const app = new Hono<AuthEnv<Claims, User>>()
    app.use('*', authenticate(auth))
    app.get('/', (c) => {
      expectTypeOf(c.var.user).toEqualTypeOf<User>()
      expectTypeOf(c.var.auth.claims.tenant).toEqualTypeOf<string>()
      return c.text('ok')
    })
    // @ts-expect-error: roles are strings (and at run time the guard refuses it at once)
    expect(() => requireRoles(42)).toThrow(TypeError)
  })
})
