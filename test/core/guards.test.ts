import { describe, expect, it } from 'vitest'
import { type AuthError, createAuth } from '../../src/index.js'
import { SECRET } from '../helpers.js'

const auth = createAuth({ secret: SECRET, roleHierarchy: { admin: ['editor'] } })
const code = (fn: () => void) => {
  try {
    fn()
  } catch (err) {
    return (err as AuthError).code
  }
  return 'ok'
}

describe('claims that grant: roles', () => {
  it('reads the `roles` array and a single `role` string, both when both are there', () => {
    const ok = (claims: Record<string, unknown>, roles: string[]) =>
      code(() => auth.authorize({ claims: { sub: 'u', ...claims } as never }, { roles }))
    expect(ok({ roles: ['editor'] }, ['editor'])).toBe('ok')
    expect(ok({ role: 'admin' }, ['editor'])).toBe('ok') // hierarchy applies to `role` too
    expect(ok({ roles: ['user'], role: 'admin' }, ['admin'])).toBe('ok')
    expect(ok({ roles: ['user'], role: 'admin' }, ['user'])).toBe('ok')
    // Type-checked: a string `roles`, a non-string `role`, non-strings in the array grant nothing.
    expect(ok({ roles: 'admin' }, ['admin'])).toBe('insufficient_role')
    expect(ok({ role: ['admin'] }, ['admin'])).toBe('insufficient_role')
    expect(ok({ roles: [1, null, { admin: true }, 'user'] }, ['admin'])).toBe('insufficient_role')
  })

  it('puts them in ctx.roles', async () => {
    const pair = await auth.issueTokens({ sub: 'u1', roles: ['user', 7 as never], role: 'admin' })
    expect((await auth.authenticate(pair.accessToken)).roles).toEqual(['user', 'admin'])
  })
})

describe('claims that grant: scopes', () => {
  const has = (claims: Record<string, unknown>, scopes: string[]) =>
    code(() => auth.authorize({ claims: { sub: 'u', ...claims } as never }, { scopes }))

  it('reads `scope` (space-separated, RFC 8693), `scp` and `scopes` (arrays)', () => {
    expect(has({ scope: 'users:read  users:write' }, ['users:read', 'users:write'])).toBe('ok')
    expect(has({ scp: ['users:read', 'users:write'] }, ['users:read', 'users:write'])).toBe('ok')
    expect(has({ scopes: ['users:read'] }, ['users:read'])).toBe('ok')
    expect(has({ scp: 'users:read users:write' }, ['users:write'])).toBe('ok') // Microsoft Entra ID
    expect(has({ scope: 'a', scp: ['b'], scopes: ['c'] }, ['a', 'b', 'c'])).toBe('ok')
  })

  it('ignores a claim of the wrong type and non-strings in arrays', () => {
    expect(has({ scope: ['users:read'] }, ['users:read'])).toBe('insufficient_scope')
    expect(has({ scopes: 'users:read' }, ['users:read'])).toBe('insufficient_scope')
    expect(has({ scp: { 'users:read': true } }, ['users:read'])).toBe('insufficient_scope')
    expect(has({ scopes: [1, null, ['users:read']] }, ['users:read'])).toBe('insufficient_scope')
    expect(has({ scope: 42, scopes: ['users:read'] }, ['users:read'])).toBe('ok')
  })

  it('puts their union, once each, in ctx.scopes', async () => {
    const pair = await auth.issueTokens({
      sub: 'u1',
      scope: 'a b',
      scp: ['b', 'c'],
      scopes: ['c', 'd', 5],
    } as never)
    expect((await auth.authenticate(pair.accessToken)).scopes).toEqual(['a', 'b', 'c', 'd'])
  })
})
