// Sessions (devices): every token family is a session with a record. The record is for display;
// the family revocation is what signs a device out — so revocation fails closed and the record
// follows it, never the other way round.
import { describe, expect, it } from 'vitest'
import { type AuthEvent, createAuth, memoryStore, type TokenPair, type TokenStore } from '../../src/index.js'
import { clock, codeOf, SECRET } from '../helpers.js'

const FIREFOX = 'Mozilla/5.0 (X11; Linux x86_64; rv:140.0) Gecko/20100101 Firefox/140.0'
const start = Date.UTC(2026, 0, 1, 12, 0, 0)

function setup(
  options: {
    store?: (now: () => number) => TokenStore
    rotate?: boolean
    sessionAddress?: 'network' | 'full' | 'none'
  } = {},
) {
  const t = clock(start)
  const events: AuthEvent[] = []
  const store = options.store ? options.store(t.now) : memoryStore({ now: t.now })
  const auth = createAuth({
    secret: SECRET,
    store,
    now: t.now,
    onEvent: (e) => void events.push(e),
    ...(options.rotate === false ? { rotateRefreshTokens: false } : {}),
    ...(options.sessionAddress ? { sessionAddress: options.sessionAddress } : {}),
  })
  return { auth, store, events, ...t }
}

const fidOf = (token: string) =>
  JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()).fid as string

/** A memory store with some of its methods replaced. */
function failing(now: () => number, overrides: Partial<TokenStore>): TokenStore {
  return { ...memoryStore({ now }), ...overrides }
}

const down = async () => {
  throw new Error('connection refused')
}

describe('session records', () => {
  it('records each login: id = fid, times, user agent and address; newest first', async () => {
    const { auth, advance } = setup()
    const laptop = await auth.issueTokens({ sub: 'u1' }, { userAgent: FIREFOX, address: '203.0.113.7' })
    advance(60)
    const phone = await auth.issueTokens(
      { sub: 'u1' },
      { userAgent: 'Mobile', address: '2001:db8:a:b:1:2:3:4' },
    )
    await auth.issueTokens({ sub: 'u2' })
    const sessions = await auth.listSessions('u1')
    const at = start / 1000
    expect(sessions).toEqual([
      {
        id: fidOf(phone.accessToken),
        createdAt: at + 60,
        lastUsedAt: at + 60,
        expiresAt: at + 60 + 7 * 86400 + 5, // the refresh token's expiry + clock tolerance
        userAgent: 'Mobile',
        address: '2001:db8:a:b::/64',
      },
      {
        id: fidOf(laptop.accessToken),
        createdAt: at,
        lastUsedAt: at,
        expiresAt: at + 7 * 86400 + 5,
        userAgent: FIREFOX,
        address: '203.0.113.0/24',
      },
    ])
    expect(await auth.listSessions('nobody')).toEqual([])
  })

  it('keeps the network of an address by default — IPv6 /64, IPv4 /24 — and nothing that is not an address', async () => {
    const { auth } = setup()
    const cases: [string | null | undefined, string | null][] = [
      ['2001:0db8:0001:0002:0003:0004:0005:0006', '2001:db8:1:2::/64'],
      ['[2001:db8::1]', '2001:db8:0:0::/64'],
      ['fe80::1%eth0', 'fe80:0:0:0::/64'],
      ['::ffff:198.51.100.9', '198.51.100.0/24'],
      ['198.51.100.9', '198.51.100.0/24'],
      ['198.51.100.999', null],
      ['unknown', null],
      ['_hidden', null],
      ['', null],
      [null, null],
      [undefined, null],
    ]
    for (const [address, kept] of cases) {
      const pair = await auth.issueTokens({ sub: 'addr' }, { address })
      const session = (await auth.listSessions('addr')).find((s) => s.id === fidOf(pair.accessToken))
      expect(session?.address, String(address)).toBe(kept)
    }
  })

  it("keeps the whole IPv4 address with sessionAddress 'full' (IPv6 still its /64), none with 'none'", async () => {
    const full = setup({ sessionAddress: 'full' }).auth
    await full.issueTokens({ sub: 'a' }, { address: '198.51.100.9' })
    await full.issueTokens({ sub: 'b' }, { address: '2001:db8:1:2:3:4:5:6' })
    expect((await full.listSessions('a'))[0]!.address).toBe('198.51.100.9')
    expect((await full.listSessions('b'))[0]!.address).toBe('2001:db8:1:2::/64')
    const none = setup({ sessionAddress: 'none' }).auth
    await none.issueTokens({ sub: 'a' }, { address: '198.51.100.9' })
    expect((await none.listSessions('a'))[0]!.address).toBeNull()
    expect(() => createAuth({ secret: SECRET, sessionAddress: 'ip' as never })).toThrow(/sessionAddress/)
  })

  it('keeps a user agent without control characters, cut to 512 characters', async () => {
    const { auth } = setup()
    await auth.issueTokens({ sub: 'ua' }, { userAgent: `Agent\r\nX-Injected: 1\u0000${'x'.repeat(1000)}` })
    const [session] = await auth.listSessions('ua')
    expect(session!.userAgent).toHaveLength(512)
    expect(session!.userAgent!.startsWith('AgentX-Injected: 1xxx')).toBe(true)
    await auth.issueTokens({ sub: 'ua2' }, { userAgent: ' \t ' })
    expect((await auth.listSessions('ua2'))[0]!.userAgent).toBeNull()
  })

  it('marks the current session when told which it is', async () => {
    const { auth, advance } = setup()
    const a = await auth.issueTokens({ sub: 'u1' })
    advance(1)
    await auth.issueTokens({ sub: 'u1' })
    const listed = await auth.listSessions('u1', fidOf(a.accessToken))
    expect(listed.map((s) => s.current)).toEqual([false, true])
    const claims = await auth.verifyAccessToken(a.accessToken)
    expect(claims.fid).toBe(listed[1]!.id)
  })

  it('moves lastUsedAt and the expiry on with each refresh; the session id stays', async () => {
    const { auth, advance } = setup()
    const first = await auth.issueTokens({ sub: 'u1' })
    advance(3600)
    const second = await auth.refresh(first.refreshToken)
    advance(3600)
    await auth.refresh(second.refreshToken)
    const [session] = await auth.listSessions('u1')
    const at = start / 1000
    expect(session).toMatchObject({
      id: fidOf(first.accessToken),
      createdAt: at,
      lastUsedAt: at + 7200,
      expiresAt: at + 7200 + 7 * 86400 + 5,
    })
  })

  it('without rotation, a refresh moves lastUsedAt, and the expiry stays with the one refresh token', async () => {
    const { auth, advance } = setup({ rotate: false })
    const pair = await auth.issueTokens({ sub: 'u1' })
    advance(600)
    await auth.refresh(pair.refreshToken)
    const [session] = await auth.listSessions('u1')
    expect(session!.lastUsedAt).toBe(start / 1000 + 600)
    expect(session!.expiresAt).toBe(start / 1000 + 7 * 86400 + 5)
  })

  it('forgets a session when its family expires', async () => {
    const { auth, advance } = setup()
    await auth.issueTokens({ sub: 'u1' })
    advance(7 * 86400)
    expect(await auth.listSessions('u1')).toHaveLength(1)
    advance(6)
    expect(await auth.listSessions('u1')).toEqual([])
  })
})

describe('ending sessions', () => {
  it('revokeSession revokes the whole family: its access and refresh tokens stop working', async () => {
    const { auth, events } = setup()
    const a = await auth.issueTokens({ sub: 'u1' })
    const b = await auth.issueTokens({ sub: 'u1' })
    await auth.verifyAccessToken(a.accessToken) // cached: revocation must still apply
    await auth.revokeSession('u1', fidOf(a.accessToken))
    expect(await codeOf(auth.verifyAccessToken(a.accessToken))).toBe('token_revoked')
    expect(await codeOf(auth.refresh(a.refreshToken))).toBe('token_revoked')
    await auth.verifyAccessToken(b.accessToken)
    expect((await auth.listSessions('u1')).map((s) => s.id)).toEqual([fidOf(b.accessToken)])
    expect(events).toContainEqual(
      expect.objectContaining({ type: 'session_revoked', sub: 'u1', fid: fidOf(a.accessToken) }),
    )
  })

  it("never revokes another user's session: session_not_found (404), and it lives on", async () => {
    const { auth } = setup()
    const alice = await auth.issueTokens({ sub: 'alice' })
    const mallory = await auth.issueTokens({ sub: 'mallory' })
    const err = await auth.revokeSession('mallory', fidOf(alice.accessToken)).catch((e: unknown) => e)
    expect(err).toMatchObject({ code: 'session_not_found', status: 404 })
    expect(await codeOf(auth.revokeSession('mallory', 'no-such-session'))).toBe('session_not_found')
    await auth.verifyAccessToken(alice.accessToken)
    await auth.refresh(alice.refreshToken)
    expect(await auth.listSessions('alice')).toHaveLength(1)
    expect(await auth.revokeOtherSessions('mallory', fidOf(mallory.accessToken))).toEqual([])
    expect(await auth.listSessions('alice')).toHaveLength(1)
  })

  it('revokeOtherSessions ends every session but the current one', async () => {
    const { auth, advance } = setup()
    const pairs: TokenPair[] = []
    for (let i = 0; i < 4; i++) {
      pairs.push(await auth.issueTokens({ sub: 'u1' }))
      advance(1)
    }
    const other = await auth.issueTokens({ sub: 'u2' })
    const current = fidOf(pairs[1]!.accessToken)
    const ended = await auth.revokeOtherSessions('u1', current)
    expect(ended.sort()).toEqual([0, 2, 3].map((i) => fidOf(pairs[i]!.accessToken)).sort())
    for (const i of [0, 2, 3])
      expect(await codeOf(auth.verifyAccessToken(pairs[i]!.accessToken))).toBe('token_revoked')
    await auth.verifyAccessToken(pairs[1]!.accessToken)
    await auth.refresh(pairs[1]!.refreshToken)
    await auth.verifyAccessToken(other.accessToken)
    expect((await auth.listSessions('u1', current)).map((s) => [s.id, s.current])).toEqual([[current, true]])
  })

  it('logout, a revoked refresh token and reuse detection each end the session in the list too', async () => {
    const { auth, store, now } = setup()
    const a = await auth.issueTokens({ sub: 'u1' })
    const b = await auth.issueTokens({ sub: 'u1' })
    const c = await auth.issueTokens({ sub: 'u1' })
    await auth.revoke(a.accessToken, { session: true })
    await auth.revoke(b.refreshToken)
    const strict = createAuth({
      secret: SECRET,
      reuseGrace: 0,
      store,
      now,
    })
    await strict.refresh(c.refreshToken)
    expect(await codeOf(strict.refresh(c.refreshToken))).toBe('refresh_token_reused')
    expect(await auth.listSessions('u1')).toEqual([])
  })

  it('after "log out everywhere", no earlier session is listed; a login right after is', async () => {
    const { auth, advance } = setup()
    await auth.issueTokens({ sub: 'u1' })
    const refreshed = await auth.issueTokens({ sub: 'u1' })
    advance(0.2)
    await auth.refresh(refreshed.refreshToken)
    advance(0.2)
    await auth.revokeSubject('u1')
    expect(await auth.listSessions('u1')).toEqual([])
    const after = await auth.issueTokens({ sub: 'u1' }) // the same second as the cutoff
    expect((await auth.listSessions('u1')).map((s) => s.id)).toEqual([fidOf(after.accessToken)])
  })
})

describe('a store without session records', () => {
  const plain = (now: () => number): TokenStore => {
    const { saveSession, touchSession, listSessions, deleteSession, ...rest } = memoryStore({ now })
    return rest
  }

  it('still issues, refreshes and revokes; the session calls throw a TypeError naming what it lacks', async () => {
    const { auth } = setup({ store: plain })
    const pair = await auth.issueTokens({ sub: 'u1' }, { userAgent: FIREFOX, address: '203.0.113.7' })
    const next = await auth.refresh(pair.refreshToken)
    await auth.revoke(next.refreshToken)
    expect(await codeOf(auth.verifyAccessToken(next.accessToken))).toBe('token_revoked')
    for (const call of [
      () => auth.listSessions('u1'),
      () => auth.revokeSession('u1', 'x'),
      () => auth.revokeOtherSessions('u1', 'x'),
    ]) {
      const err = await call().catch((e: unknown) => e)
      expect(err).toBeInstanceOf(TypeError)
      expect((err as Error).message).toMatch(/lacks saveSession, touchSession, listSessions, deleteSession/)
    }
  })

  it('createAuth refuses a store with only some of the session methods', () => {
    const { deleteSession, ...partial } = memoryStore()
    expect(() => createAuth({ secret: SECRET, store: partial })).toThrow(
      /has saveSession, touchSession, listSessions but lacks deleteSession/,
    )
  })
})

describe('failures: revocation fails closed, the record is best effort after it', () => {
  it('a login whose record cannot be saved fails with store_unavailable (503)', async () => {
    const { auth, events } = setup({ store: (now) => failing(now, { saveSession: down }) })
    const err = await auth.issueTokens({ sub: 'u1' }).catch((e: unknown) => e)
    expect(err).toMatchObject({ code: 'store_unavailable', status: 503 })
    expect(events.some((e) => e.type === 'tokens_issued')).toBe(false)
  })

  it('revokeSession fails (503) when the family cannot be revoked, and the session stays listed', async () => {
    let refuse = false
    const { auth } = setup({
      store: (now) => {
        const store = memoryStore({ now })
        return { ...store, revoke: (...args) => (refuse ? down() : store.revoke(...args)) }
      },
    })
    const pair = await auth.issueTokens({ sub: 'u1' })
    refuse = true
    expect(await codeOf(auth.revokeSession('u1', fidOf(pair.accessToken)))).toBe('store_unavailable')
    expect(await auth.listSessions('u1')).toHaveLength(1)
    await auth.verifyAccessToken(pair.accessToken)
  })

  it('revokeOtherSessions tries every session, then fails (503) if any could not be revoked', async () => {
    let refused: string | undefined
    const { auth, events } = setup({
      store: (now) => {
        const store = memoryStore({ now })
        return { ...store, revoke: (id, ...rest) => (id === refused ? down() : store.revoke(id, ...rest)) }
      },
    })
    const [current, a, b] = [
      await auth.issueTokens({ sub: 'u1' }),
      await auth.issueTokens({ sub: 'u1' }),
      await auth.issueTokens({ sub: 'u1' }),
    ]
    refused = fidOf(a.accessToken)
    expect(await codeOf(auth.revokeOtherSessions('u1', fidOf(current.accessToken)))).toBe('store_unavailable')
    expect(await codeOf(auth.verifyAccessToken(b.accessToken))).toBe('token_revoked')
    await auth.verifyAccessToken(a.accessToken)
    expect(events.filter((e) => e.type === 'session_revoked')).toHaveLength(1)
    expect((await auth.listSessions('u1')).map((s) => s.id).sort()).toEqual(
      [fidOf(current.accessToken), fidOf(a.accessToken)].sort(),
    )
  })

  it('a refresh whose record cannot be touched goes ahead, with one warning (a store without spendRefresh)', async () => {
    // A store that spends in one step touches the record in the same step; the best-effort touch
    // is the composed path's.
    const { auth, events } = setup({
      store: (now) => failing(now, { touchSession: down, spendRefresh: undefined }),
    })
    let pair = await auth.issueTokens({ sub: 'u1' })
    pair = await auth.refresh(pair.refreshToken)
    pair = await auth.refresh(pair.refreshToken)
    await auth.verifyAccessToken(pair.accessToken)
    const warnings = events.filter((e) => e.type === 'warning')
    expect(warnings).toHaveLength(1)
    expect(warnings[0]).toMatchObject({
      message: expect.stringMatching(/lastUsedAt may lag.*connection refused/),
    })
  })

  it('a revoked session whose record cannot be deleted is revoked, and no longer listed', async () => {
    const { auth, events } = setup({ store: (now) => failing(now, { deleteSession: down }) })
    const pair = await auth.issueTokens({ sub: 'u1' })
    await auth.revokeSession('u1', fidOf(pair.accessToken))
    expect(await codeOf(auth.verifyAccessToken(pair.accessToken))).toBe('token_revoked')
    expect(await auth.listSessions('u1')).toEqual([])
    expect(events.filter((e) => e.type === 'warning')).toHaveLength(1)
  })

  it('listSessions fails (503) when the store cannot answer', async () => {
    const { auth } = setup({ store: (now) => failing(now, { listSessions: down }) })
    expect(await codeOf(auth.listSessions('u1'))).toBe('store_unavailable')
  })
})

describe('arguments', () => {
  it('throws TypeError for a missing subject, a non-string session id or bad issue options', async () => {
    const { auth } = setup()
    await expect(auth.listSessions('')).rejects.toThrow(TypeError)
    await expect(auth.revokeSession('u1', 42 as unknown as string)).rejects.toThrow(TypeError)
    await expect(auth.revokeOtherSessions('u1', undefined as unknown as string)).rejects.toThrow(TypeError)
    await expect(auth.listSessions('u1', 7 as unknown as string)).rejects.toThrow(TypeError)
    await expect(auth.issueTokens({ sub: 'u1' }, 'Firefox' as never)).rejects.toThrow(TypeError)
  })
})
