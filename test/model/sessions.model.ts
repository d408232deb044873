// The session invariants S1–S5 (docs/security.md), checked by a model: fast-check runs random
// sequences of logins, refreshes by the client, replays by a thief, retries inside and after the
// grace window, concurrent refreshes, step-up, logout, revokeSession, revokeSubject, introspection,
// DPoP-bound, client-bound and unbound use — against two Auth instances that share one store —
// and compares every answer with a small reference model of what a session promises. After every
// step it probes both instances: which access tokens they accept (S4), and which refresh tokens
// introspection calls active (S1, S2).
//
// The model is written from the invariants, not from the code: a refresh token has a place in its
// session's chain (its generation); the chain has one live place; a retry inside the grace window
// re-mints the SAME next place, and any other return of a spent place ends the session.
import fc from 'fast-check'
import { exportJWK, generateKeyPair, type JWK, type KeyObject, SignJWT } from 'jose'
import { expect } from 'vitest'
import {
  type Auth,
  type AuthRouteRequest,
  type AuthRoutes,
  createAuth,
  createAuthRoutes,
  type TokenStore,
} from '../../src/index.js'

export const SECRET = 'model-test-secret-that-is-at-least-32-bytes'
export const API = 'https://api.example.com'
export const GRACE_MS = 10_000
const GRACE_RETRIES = 2
const ACCESS_TTL_S = 900
/** Small, so logins past it (ending the oldest session) and the daily budget of such ends both happen. */
export const CAP = 2
const BACKEND = { id: 'backend', secret: 'backend-secret-0123456789' }
const PASSWORDS: Record<string, string> = { ada: 'ada-password', bob: 'bob-password' }
const USERS = ['ada', 'bob'] as const
type User = (typeof USERS)[number]

// --- the real system -----------------------------------------------------------------------------

export interface Instance {
  name: 'A' | 'B'
  auth: Auth
  routes: AuthRoutes
  /** The same routes in cookie mode (session invariant S5). */
  cookieRoutes: AuthRoutes
}

export interface Real {
  A: Instance
  B: Instance
  clock: { now: number }
  /** How long after a revocation returns another instance may still accept (S4's stated bound), ms. */
  propagationMs: number
  /** Wrap the store's asynchronous answers with a scheduler (interleavings), or stop. */
  schedule: (s: fc.Scheduler | undefined) => void
}

/**
 * A store that forwards to `inner` and, while a scheduler is set, hands each asynchronous answer
 * to it, so fast-check decides the order in which concurrent store calls come back.
 */
export function schedulableStore(inner: TokenStore): { store: TokenStore; set: (s?: fc.Scheduler) => void } {
  let scheduler: fc.Scheduler | undefined
  const store = new Proxy(inner, {
    get(target, name, receiver) {
      const value = Reflect.get(target, name, receiver)
      if (typeof value !== 'function') return value
      return (...args: unknown[]) => {
        const result = value.apply(target, args)
        if (!scheduler || !(result instanceof Promise)) return result
        return scheduler.schedule(result, `store.${String(name)}`)
      }
    },
  })
  return { store, set: (s) => (scheduler = s) }
}

/** Two Auth instances over one store (each may hold its own client of it), with the auth routes. */
export function instances(stores: { A: TokenStore; B: TokenStore }, clock: { now: number }) {
  const make = (name: 'A' | 'B'): Instance => {
    const auth = createAuth({
      secret: SECRET,
      store: stores[name],
      now: () => clock.now,
      dpop: true,
      clients: { [BACKEND.id]: { secret: BACKEND.secret }, spa: {} },
      reuseGrace: `${GRACE_MS / 1000}s`,
      accessTokenTtl: `${ACCESS_TTL_S}s`,
      maxSessionsPerUser: CAP,
    })
    const options = {
      verifyCredentials: (username: string, password: string) =>
        PASSWORDS[username] === password ? { id: `u-${username}`, roles: ['user'] } : null,
      rateLimit: false as const,
    }
    const routes = createAuthRoutes(auth, options)
    const cookieRoutes = createAuthRoutes(auth, { ...options, cookies: true })
    return { name, auth, routes, cookieRoutes }
  }
  return { A: make('A'), B: make('B') }
}

// --- the model -------------------------------------------------------------------------------------

interface ProofKey {
  privateKey: CryptoKey | KeyObject
  jwk: JWK
}

/** A session as the model sees it: its chain, who holds which of its tokens, whether it lives. */
export interface Session {
  n: number
  user: User
  /** DPoP-bound to the client's key; the thief never has it. */
  key: ProofKey | undefined
  /** Issued to the confidential client `backend` (its secret is the client's, never the thief's). */
  confidential: boolean
  alive: boolean
  /** Highest generation spent, when it was first presented (model ms), how often it was presented. */
  spent: number
  firstAt: number
  presentations: number
  /** The client's tokens. */
  access: string
  accessExp: number
  refresh: string
  /** The refresh token the client presented last (what a client that lost an answer retries). */
  previous: string | undefined
  /** Tokens the thief copied. */
  stolen: string[]
  stolenAccess: string[]
  /** A browser session in cookie mode: its CSRF token (the tokens travel as cookies). */
  csrf: string | undefined
}

export interface Model {
  sessions: Session[]
  /** Generation, expiry (epoch s) and session of every refresh token seen. */
  refreshTokens: Map<string, { gen: number; exp: number; session: Session }>
  /** Expiry (epoch s) and session of every access token seen. */
  accessTokens: Map<string, { exp: number; session: Session }>
  /** Access tokens revoked one by one (RFC 7009 /revoke), their sessions untouched. */
  revokedAccess: Set<string>
  now: number
  /** Checks turned off by name (to show one counterexample at a time). */
  skip: ReadonlySet<string>
  /** Sessions each user's logins ended (the cap), today. */
  ended: Record<User, number>
}

export function initialModel(now: number, skip: ReadonlySet<string> = new Set()): Model {
  return {
    sessions: [],
    refreshTokens: new Map(),
    accessTokens: new Map(),
    revokedAccess: new Set(),
    now,
    skip,
    ended: { ada: 0, bob: 0 },
  }
}

type Verdict = 'rotate' | 'retry' | 'reused' | 'refused'

/**
 * What presenting `token` does to its session (S1, S2): a generation above the spent one rotates;
 * the spent one again within the grace window and the retries retries (re-minting the SAME next
 * generation); anything else is reuse, which ends the session.
 */
function predictRefresh(m: Model, token: string, mayUse: boolean): Verdict {
  const info = m.refreshTokens.get(token)!
  const s = info.session
  if (!mayUse || !s.alive || info.exp < m.now / 1000) return 'refused'
  if (info.gen > s.spent) {
    s.spent = info.gen
    s.firstAt = m.now
    s.presentations = 1
    return 'rotate'
  }
  if (info.gen === s.spent && m.now - s.firstAt < GRACE_MS && s.presentations <= GRACE_RETRIES) {
    s.presentations++
    return 'retry'
  }
  s.alive = false
  return 'reused'
}

function learnPair(m: Model, s: Session, body: TokenBody, gen: number): void {
  s.access = body.access_token
  s.accessExp = Math.floor(m.now / 1000) + body.expires_in
  m.accessTokens.set(s.access, { exp: s.accessExp, session: s })
  if (body.refresh_token !== undefined) {
    s.previous = s.refresh
    s.refresh = body.refresh_token
    m.refreshTokens.set(s.refresh, {
      gen,
      exp: Math.floor(m.now / 1000) + body.refresh_expires_in,
      session: s,
    })
  }
}

// --- requests ------------------------------------------------------------------------------------

interface TokenBody {
  access_token: string
  refresh_token?: string
  expires_in: number
  refresh_expires_in: number
}

const basic = (id: string, secret: string) =>
  `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString('base64')}`

async function proof(key: ProofKey, now: number, htm: string, path: string, ath?: string) {
  const payload: Record<string, unknown> = {
    jti: crypto.randomUUID(),
    iat: Math.floor(now / 1000),
    htm,
    htu: `${API}/auth${path}`,
  }
  if (ath !== undefined) payload.ath = ath
  return new SignJWT(payload)
    .setProtectedHeader({ typ: 'dpop+jwt', alg: 'ES256', jwk: key.jwk })
    .sign(key.privateKey)
}

const sha256 = async (text: string) =>
  Buffer.from(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(text))).toString('base64url')

const COOKIE = { access: '__Host-tw_access', refresh: '__Secure-tw_refresh', csrf: '__Host-tw_csrf' }

async function call(
  inst: Instance,
  path: string,
  init: {
    body?: Record<string, string>
    form?: boolean
    headers?: Record<string, string>
    method?: string
    /** Through the cookie-mode routes. */
    cookies?: boolean
  },
) {
  const { body, form = false, headers = {}, method = 'POST', cookies = false } = init
  const request: AuthRouteRequest = {
    method,
    path,
    headers: {
      ...(body === undefined
        ? {}
        : { 'content-type': form ? 'application/x-www-form-urlencoded' : 'application/json' }),
      ...headers,
    },
    body: body === undefined ? undefined : form ? new URLSearchParams(body).toString() : JSON.stringify(body),
    address: '203.0.113.9',
    url: `${API}/auth${path}`,
  }
  const res = await (cookies ? inst.cookieRoutes : inst.routes).handle(request)
  if (!res) throw new Error(`no route ${method} ${path}`)
  if (cookies && res.status === 200) res.body = { ...(res.body as object), ...tokensOf(res.cookies) }
  return res
}

/** The tokens a cookie-mode answer set, as the fields of a token body (the body itself has none). */
function tokensOf(setCookies: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {}
  for (const line of setCookies) {
    const [pair = ''] = line.split(';')
    const eq = pair.indexOf('=')
    const name = pair.slice(0, eq)
    const value = pair.slice(eq + 1)
    if (!value) continue
    if (name === COOKIE.access) out.access_token = value
    if (name === COOKIE.refresh) out.refresh_token = value
    if (name === COOKIE.csrf) out.csrf = value
  }
  return out
}

/** A browser session's request: its cookies (the refresh one only where asked) and CSRF header. */
function cookieHeaders(s: Session, withRefresh: boolean, refresh = s.refresh): Record<string, string> {
  const jar = [`${COOKIE.access}=${s.access}`, ...(withRefresh ? [`${COOKIE.refresh}=${refresh}`] : [])]
  return { cookie: jar.join('; '), 'x-csrf-token': s.csrf! }
}

/** The access token of `s` as its client sends it: Bearer, or DPoP with a proof for this request. */
async function accessHeaders(
  s: Session,
  token: string,
  now: number,
  method: string,
  path: string,
): Promise<Record<string, string>> {
  if (!s.key) return { authorization: `Bearer ${token}` }
  return {
    authorization: `DPoP ${token}`,
    dpop: await proof(s.key, now, method, path, await sha256(token)),
  }
}

/** A refresh by the session's own client: its binding (DPoP proof, client secret) included. */
async function clientRefresh(inst: Instance, s: Session, token: string, now: number) {
  if (s.csrf !== undefined)
    return call(inst, '/refresh', { cookies: true, headers: cookieHeaders(s, true, token) })
  if (s.confidential)
    return call(inst, '/token', {
      body: { grant_type: 'refresh_token', refresh_token: token },
      form: true,
      headers: { authorization: basic(BACKEND.id, BACKEND.secret) },
    })
  const headers = s.key ? { dpop: await proof(s.key, now, 'POST', '/refresh') } : undefined
  return call(inst, '/refresh', { body: { refresh_token: token }, headers })
}

/** A refresh by the thief: no key, no client secret — the bare token at /refresh or /token. */
function thiefRefresh(inst: Instance, token: string, viaToken: boolean) {
  return viaToken
    ? call(inst, '/token', { body: { grant_type: 'refresh_token', refresh_token: token }, form: true })
    : call(inst, '/refresh', { body: { refresh_token: token } })
}

// --- the invariants, probed after every step --------------------------------------------------------

async function accepts(inst: Instance, token: string): Promise<boolean> {
  try {
    await inst.auth.verifyAccessToken(token)
    return true
  } catch {
    return false
  }
}

async function introspectActive(inst: Instance, token: string): Promise<boolean> {
  const res = await call(inst, '/introspect', {
    body: { token },
    form: true,
    headers: { authorization: basic(BACKEND.id, BACKEND.secret) },
  })
  expect(res.status, 'introspection by the confidential client').toBe(200)
  return (res.body as { active: boolean }).active
}

/** S4 on both instances (within the stated bound), S1 + S2 through introspection. */
export async function checkInvariants(m: Model, r: Real): Promise<void> {
  for (const [token, { exp, session }] of m.accessTokens) {
    if (exp + 5 <= m.now / 1000) continue
    const valid = session.alive && !m.revokedAccess.has(token)
    for (const inst of [r.A, r.B]) {
      let accepted = await accepts(inst, token)
      // S4: a revocation reaches every instance within the stated bound.
      const deadline = Date.now() + r.propagationMs
      while (accepted && !valid && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 2))
        accepted = await accepts(inst, token)
      }
      expect(accepted, `S4: instance ${inst.name} accepts an access token of session ${session.n}`).toBe(
        valid,
      )
    }
  }
  if (m.skip.has('introspection')) return
  for (const [token, { gen, exp, session }] of m.refreshTokens) {
    if (exp <= m.now / 1000) continue
    const live = session.alive && gen > session.spent
    expect(
      await introspectActive(r.A, token),
      `S1/S2: introspection of refresh token (session ${session.n}, generation ${gen}, spent ${session.spent})`,
    ).toBe(live)
  }
}

// --- the commands -----------------------------------------------------------------------------------

type Cmd = fc.AsyncCommand<Model, Real>
const pick = <T>(list: readonly T[], i: number): T => list[i % list.length]!
const inst = (r: Real, b: boolean) => (b ? r.B : r.A)
const live = (m: Model) => m.sessions.filter((s) => s.alive)

async function settle(m: Model, r: Real) {
  r.clock.now = m.now
  await checkInvariants(m, r)
}

/**
 * A new session: a plain login, a DPoP-bound one, one for the confidential client `backend`, one
 * for the public client `spa`, or a browser's in cookie mode. Past the cap the user's OLDEST
 * session ends; once a user's logins ended `CAP` sessions today, every login of theirs waits (429).
 */
class Login implements Cmd {
  constructor(
    readonly user: User,
    readonly kind: 'plain' | 'dpop' | 'backend' | 'spa' | 'cookie',
    readonly onB: boolean,
  ) {}
  check = () => true
  async run(m: Model, r: Real) {
    // Logins are a millisecond apart at least: the store knows the oldest session by its login.
    m.now += 1
    r.clock.now = m.now
    const i = inst(r, this.onB)
    const mine = m.sessions.filter((x) => x.user === this.user && x.alive)
    const waits = m.ended[this.user] >= CAP
    const { res, key } = await this.login(i, m)
    if (waits) {
      expect(res.status, `login of an account that ended ${CAP} sessions today`).toBe(429)
      return settle(m, r)
    }
    expect(res.status, `login (${this.kind}): ${JSON.stringify(res.body)}`).toBe(200)
    if (mine.length >= CAP) {
      mine[0]!.alive = false
      m.ended[this.user]++
    }
    const body = res.body as TokenBody & { csrf?: string }
    const s: Session = {
      n: m.sessions.length,
      user: this.user,
      key,
      confidential: this.kind === 'backend',
      alive: true,
      spent: -1,
      firstAt: 0,
      presentations: 0,
      access: '',
      accessExp: 0,
      refresh: '',
      previous: undefined,
      stolen: [],
      stolenAccess: [],
      csrf: this.kind === 'cookie' ? body.csrf : undefined,
    }
    m.sessions.push(s)
    learnPair(m, s, body, 0)
    s.previous = undefined
    await settle(m, r)
  }
  private async login(i: Instance, m: Model) {
    const credentials = { username: this.user, password: PASSWORDS[this.user]! }
    if (this.kind === 'backend' || this.kind === 'spa') {
      const client: Record<string, string> =
        this.kind === 'backend' ? { authorization: basic(BACKEND.id, BACKEND.secret) } : {}
      const body = {
        grant_type: 'password',
        ...credentials,
        ...(this.kind === 'spa' ? { client_id: 'spa' } : {}),
      }
      return { res: await call(i, '/token', { body, form: true, headers: client }), key: undefined }
    }
    if (this.kind === 'cookie')
      return { res: await call(i, '/login', { body: credentials, cookies: true }), key: undefined }
    let key: ProofKey | undefined
    if (this.kind === 'dpop') {
      const pair = await generateKeyPair('ES256', { extractable: true })
      key = { privateKey: pair.privateKey, jwk: await exportJWK(pair.publicKey) }
    }
    const headers = key ? { dpop: await proof(key, m.now, 'POST', '/login') } : undefined
    return { res: await call(i, '/login', { body: credentials, headers }), key }
  }
  toString = () => `Login(${this.user}, ${this.kind}, on ${this.onB ? 'B' : 'A'})`
}

/** The client refreshes its current refresh token (or retries its previous one: a lost answer). */
class ClientRefresh implements Cmd {
  constructor(
    readonly which: number,
    readonly retryPrevious: boolean,
    readonly onB: boolean,
  ) {}
  check = (m: Model) => m.sessions.length > 0
  async run(m: Model, r: Real) {
    const s = pick(m.sessions, this.which)
    const token = this.retryPrevious && s.previous ? s.previous : s.refresh
    const gen = m.refreshTokens.get(token)!.gen
    const expected = predictRefresh(m, token, true)
    const res = await clientRefresh(inst(r, this.onB), s, token, m.now)
    const ok = expected === 'rotate' || expected === 'retry'
    expect(
      res.status === 200,
      `refresh by the client: expected ${expected}, got ${res.status} ${JSON.stringify(res.body)}`,
    ).toBe(ok)
    if (ok) learnPair(m, s, res.body as TokenBody, gen + 1)
    await settle(m, r)
  }
  toString = () =>
    `ClientRefresh(#${this.which}${this.retryPrevious ? ', retry of the previous token' : ''}, on ${this.onB ? 'B' : 'A'})`
}

/** The thief copies the client's current tokens. */
class Steal implements Cmd {
  constructor(readonly which: number) {}
  check = (m: Model) => m.sessions.length > 0
  async run(m: Model, r: Real) {
    const s = pick(m.sessions, this.which)
    s.stolen.push(s.refresh)
    s.stolenAccess.push(s.access)
    r.clock.now = m.now
  }
  toString = () => `Steal(#${this.which})`
}

/**
 * The thief presents a stolen refresh token: with no key and no client secret, so a DPoP-bound or
 * confidential-client token must be refused without anything spent (S3).
 */
class ThiefRefresh implements Cmd {
  constructor(
    readonly which: number,
    readonly token: number,
    readonly viaToken: boolean,
    readonly onB: boolean,
  ) {}
  check = (m: Model) => m.sessions.some((s) => s.stolen.length > 0)
  async run(m: Model, r: Real) {
    const s = pick(
      m.sessions.filter((x) => x.stolen.length > 0),
      this.which,
    )
    const token = pick(s.stolen, this.token)
    const gen = m.refreshTokens.get(token)!.gen
    const expected = predictRefresh(m, token, !s.key && !s.confidential)
    const res = await thiefRefresh(inst(r, this.onB), token, this.viaToken)
    const ok = expected === 'rotate' || expected === 'retry'
    expect(
      res.status === 200,
      `refresh by the thief: expected ${expected}, got ${res.status} ${JSON.stringify(res.body)}`,
    ).toBe(ok)
    if (ok) {
      const body = res.body as TokenBody
      s.stolen.push(body.refresh_token!)
      s.stolenAccess.push(body.access_token)
      m.refreshTokens.set(body.refresh_token!, {
        gen: gen + 1,
        exp: Math.floor(m.now / 1000) + body.refresh_expires_in,
        session: s,
      })
      m.accessTokens.set(body.access_token, { exp: Math.floor(m.now / 1000) + body.expires_in, session: s })
    }
    await settle(m, r)
  }
  toString = () =>
    `ThiefRefresh(stolen #${this.token} of the ${this.which}th robbed session, at ${this.viaToken ? '/token' : '/refresh'}, on ${this.onB ? 'B' : 'A'})`
}

/** The client fires `n` refreshes of its current token at once, over both instances. */
class ConcurrentRefresh implements Cmd {
  constructor(
    readonly which: number,
    readonly n: number,
    readonly scheduler: fc.Scheduler,
  ) {}
  check = (m: Model) => m.sessions.length > 0
  async run(m: Model, r: Real) {
    const s = pick(m.sessions, this.which)
    const token = s.refresh
    const gen = m.refreshTokens.get(token)!.gen
    const verdicts = Array.from({ length: this.n }, () => predictRefresh(m, token, true))
    const oks = verdicts.filter((v) => v === 'rotate' || v === 'retry').length
    r.schedule(this.scheduler)
    let answers: Awaited<ReturnType<typeof call>>[]
    try {
      const pending = Promise.all(
        Array.from({ length: this.n }, (_, k) => clientRefresh(inst(r, k % 2 === 1), s, token, m.now)),
      )
      await this.scheduler.waitFor(pending)
      answers = await pending
    } finally {
      r.schedule(undefined)
    }
    const got = answers.filter((a) => a.status === 200)
    expect(got.length, `${this.n} concurrent refreshes: ${verdicts.join(', ')}`).toBe(oks)
    if (got.length > 0) learnPair(m, s, got[0]!.body as TokenBody, gen + 1)
    for (const extra of got.slice(1)) {
      const body = extra.body as TokenBody
      m.refreshTokens.set(body.refresh_token!, {
        gen: gen + 1,
        exp: Math.floor(m.now / 1000) + body.refresh_expires_in,
        session: s,
      })
      m.accessTokens.set(body.access_token, { exp: Math.floor(m.now / 1000) + body.expires_in, session: s })
    }
    await settle(m, r)
  }
  toString = () => `ConcurrentRefresh(#${this.which}, ${this.n} at once, ${this.scheduler})`
}

/**
 * Step-up (POST /reauthenticate): the user types the password again. Without a refresh token it
 * may only give a fresh ACCESS token (S1: no second live refresh token); with the session's refresh
 * token it rotates it, exactly as a refresh would.
 */
class StepUp implements Cmd {
  constructor(
    readonly which: number,
    readonly withRefresh: boolean,
    readonly onB: boolean,
  ) {}
  // The client proves its session with its access token: a live one (not expired, not revoked).
  private usable = (m: Model) =>
    live(m).filter((x) => x.accessExp > m.now / 1000 && !m.revokedAccess.has(x.access))
  check = (m: Model) => this.usable(m).length > 0
  async run(m: Model, r: Real) {
    const s = pick(this.usable(m), this.which)
    const token = s.refresh
    const gen = m.refreshTokens.get(token)!.gen
    const expected = this.withRefresh ? predictRefresh(m, token, true) : 'rotate'
    const body: Record<string, string> = { username: s.user, password: PASSWORDS[s.user]! }
    const browser = s.csrf !== undefined
    if (this.withRefresh && !browser) body.refresh_token = token
    const headers: Record<string, string> = browser
      ? cookieHeaders(s, this.withRefresh)
      : await accessHeaders(s, s.access, m.now, 'POST', '/reauthenticate')
    if (this.withRefresh && s.confidential)
      Object.assign(body, { client_id: BACKEND.id, client_secret: BACKEND.secret })
    const res = await call(inst(r, this.onB), '/reauthenticate', { body, headers, cookies: browser })
    const ok = expected === 'rotate' || expected === 'retry'
    expect(
      res.status === 200,
      `step-up: expected ${expected}, got ${res.status} ${JSON.stringify(res.body)}`,
    ).toBe(ok)
    if (ok) {
      const answer = res.body as TokenBody
      if (!this.withRefresh)
        expect(answer.refresh_token, 'S1: step-up without a refresh token minted one').toBeUndefined()
      learnPair(m, s, answer, gen + 1)
    }
    await settle(m, r)
  }
  toString = () =>
    `StepUp(#${this.which}, ${this.withRefresh ? 'with' : 'without'} the refresh token, on ${this.onB ? 'B' : 'A'})`
}

/** The client logs out (its access token as it sends it, and its refresh token). */
class Logout implements Cmd {
  constructor(
    readonly which: number,
    readonly onB: boolean,
  ) {}
  check = (m: Model) => live(m).length > 0
  async run(m: Model, r: Real) {
    const s = pick(live(m), this.which)
    const browser = s.csrf !== undefined
    const headers: Record<string, string> = browser
      ? cookieHeaders(s, true)
      : await accessHeaders(s, s.access, m.now, 'POST', '/logout')
    const body: Record<string, string> = browser ? {} : { refresh_token: s.refresh }
    if (s.confidential) Object.assign(body, { client_id: BACKEND.id, client_secret: BACKEND.secret })
    const res = await call(inst(r, this.onB), '/logout', { body, headers, cookies: browser })
    expect(res.status, `logout: ${JSON.stringify(res.body)}`).toBe(204)
    s.alive = false
    await settle(m, r)
  }
  toString = () => `Logout(#${this.which}, on ${this.onB ? 'B' : 'A'})`
}

/**
 * The thief tries to end a session with what it stole: at /logout (Bearer or the refresh token in
 * the body), or at /revoke naming the public client `spa` (RFC 7009 lets a public client revoke
 * its own tokens). A DPoP-bound or confidential-client token must not let it (S3); an unbound token
 * of a public client does — its holder may end it (an access token at /revoke: only that token).
 */
class ThiefEnds implements Cmd {
  constructor(
    readonly which: number,
    readonly viaRevoke: boolean,
    readonly useRefresh: boolean,
    readonly onB: boolean,
  ) {}
  check = (m: Model) => m.sessions.some((s) => s.stolen.length > 0)
  async run(m: Model, r: Real) {
    const s = pick(
      m.sessions.filter((x) => x.stolen.length > 0),
      this.which,
    )
    const token = this.useRefresh ? s.stolen[0]! : s.stolenAccess[0]!
    const i = inst(r, this.onB)
    const res = this.viaRevoke
      ? await call(i, '/revoke', { body: { token, client_id: 'spa' }, form: true })
      : this.useRefresh
        ? await call(i, '/logout', { body: { refresh_token: token } })
        : await call(i, '/logout', { headers: { authorization: `Bearer ${token}` } })
    const bound = s.key !== undefined || s.confidential
    if (!bound) {
      if (this.viaRevoke && !this.useRefresh) m.revokedAccess.add(token)
      else s.alive = false
    } else if (!this.viaRevoke) {
      expect(res.status, 'S3: the thief ended a bound session at /logout').not.toBe(204)
    }
    await settle(m, r)
  }
  toString = () =>
    `ThiefEnds(#${this.which}, ${this.viaRevoke ? '/revoke as spa' : '/logout'}, ${this.useRefresh ? 'refresh' : 'access'} token, on ${this.onB ? 'B' : 'A'})`
}

/** The user signs one device out (revokeSession), or everything (revokeSubject). */
class RevokeSession implements Cmd {
  constructor(
    readonly which: number,
    readonly everything: boolean,
    readonly onB: boolean,
  ) {}
  check = (m: Model) => live(m).length > 0
  async run(m: Model, r: Real) {
    const s = pick(live(m), this.which)
    const { auth } = inst(r, this.onB)
    if (this.everything) {
      await auth.revokeSubject(`u-${s.user}`)
      for (const x of m.sessions) if (x.user === s.user) x.alive = false
      // Time moves on: a login on the other instance in the very millisecond of the cutoff would be
      // cut off too (a cutoff is "every token issued until now", and the instances share no clock).
      m.now += 1
    } else {
      const { fid } = JSON.parse(Buffer.from(s.access.split('.')[1]!, 'base64url').toString()) as {
        fid: string
      }
      await auth.revokeSession(`u-${s.user}`, fid)
      s.alive = false
    }
    await settle(m, r)
  }
  toString = () =>
    `${this.everything ? 'RevokeSubject' : 'RevokeSession'}(#${this.which}, on ${this.onB ? 'B' : 'A'})`
}

/** Introspection by a PUBLIC client: refused (RFC 7662 §2.1, S3). */
class PublicIntrospect implements Cmd {
  constructor(readonly which: number) {}
  check = (m: Model) => m.sessions.length > 0
  async run(m: Model, r: Real) {
    const s = pick(m.sessions, this.which)
    const res = await call(r.A, '/introspect', { body: { token: s.access, client_id: 'spa' }, form: true })
    expect(res.status, 'S3: introspection by a public client').toBe(401)
    r.clock.now = m.now
  }
  toString = () => `PublicIntrospect(#${this.which})`
}

/**
 * S5: a cross-site page posts a login form (or a token request) in cookie mode: refused (403), and
 * no cookie is set — the victim's browser is not signed in as the attacker.
 */
class CrossSiteLogin implements Cmd {
  constructor(
    readonly viaToken: boolean,
    /** Whether the browser says where the form came from; an old one does not (then: closed). */
    readonly tells: boolean,
    readonly onB: boolean,
  ) {}
  check = () => true
  async run(m: Model, r: Real) {
    const body = {
      username: 'bob',
      password: PASSWORDS.bob!,
      ...(this.viaToken ? { grant_type: 'password' } : {}),
    }
    const res = await call(inst(r, this.onB), this.viaToken ? '/token' : '/login', {
      body,
      form: true,
      cookies: true,
      headers: this.tells ? { origin: 'https://evil.example', 'sec-fetch-site': 'cross-site' } : {},
    })
    expect(res.status, 'S5: a cross-site login form in cookie mode').toBe(403)
    expect(res.cookies, 'S5: cookies set by a cross-site login').toEqual([])
    r.clock.now = m.now
  }
  toString = () =>
    `CrossSiteLogin(${this.viaToken ? '/token' : '/login'}, ${this.tells ? 'cross-site headers' : 'no Origin, a form'}, on ${this.onB ? 'B' : 'A'})`
}

/**
 * S5: a request that carries a browser session's cookies but not its CSRF token — a cross-site
 * form's logout, or a call that names no method — changes nothing.
 */
class CookieWithoutCsrf implements Cmd {
  constructor(
    readonly which: number,
    readonly methodless: boolean,
    readonly onB: boolean,
  ) {}
  check = (m: Model) => m.sessions.some((s) => s.csrf !== undefined)
  async run(m: Model, r: Real) {
    const s = pick(
      m.sessions.filter((x) => x.csrf !== undefined),
      this.which,
    )
    const cookie = cookieHeaders(s, true).cookie!
    const i = inst(r, this.onB)
    if (this.methodless) {
      const refused = await i.auth.authenticate({ cookie }, { cookies: true }).then(
        () => 'accepted',
        (err: { code?: string }) => err.code ?? 'error',
      )
      expect(refused, 'S5: a cookie without a method and without the CSRF token').toBe('csrf_failed')
    } else {
      const res = await call(i, '/logout', { cookies: true, headers: { cookie } })
      expect(res.status, 'S5: a cookie logout without the CSRF token').toBe(403)
    }
    await settle(m, r)
  }
  toString = () =>
    `CookieWithoutCsrf(#${this.which}, ${this.methodless ? 'no method' : 'logout'}, on ${this.onB ? 'B' : 'A'})`
}

/** Time passes: a little (inside the grace window) or a lot (past it, sometimes past access expiry). */
class Advance implements Cmd {
  constructor(readonly ms: number) {}
  check = () => true
  async run(m: Model, r: Real) {
    m.now += this.ms
    await settle(m, r)
  }
  toString = () => `Advance(${this.ms / 1000} s)`
}

/** Every command, with arbitraries; `weights` tilts the mix. */
/**
 * Every command with its arbitrary, by name; each name's weight is how many times it stands in
 * the mix (the thief's and step-up's paths need a few commands before them, so they weigh more).
 */
function namedArbitraries(kinds: readonly Login['kind'][]): [string, number, fc.Arbitrary<Cmd>][] {
  const which = fc.nat(7)
  const onB = fc.boolean()
  return [
    [
      'Login',
      4,
      fc
        .tuple(fc.constantFrom(...USERS), fc.constantFrom(...kinds), onB)
        .map(([u, k, b]) => new Login(u, k as Login['kind'], b)),
    ],
    ['ClientRefresh', 3, fc.tuple(which, fc.boolean(), onB).map(([w, p, b]) => new ClientRefresh(w, p, b))],
    ['Steal', 1, which.map((w) => new Steal(w))],
    [
      'ThiefRefresh',
      2,
      fc.tuple(which, fc.nat(3), fc.boolean(), onB).map(([w, t, v, b]) => new ThiefRefresh(w, t, v, b)),
    ],
    [
      'ConcurrentRefresh',
      1,
      fc
        .tuple(which, fc.integer({ min: 2, max: 5 }), fc.scheduler())
        .map(([w, n, s]) => new ConcurrentRefresh(w, n, s)),
    ],
    ['StepUp', 2, fc.tuple(which, fc.boolean(), onB).map(([w, p, b]) => new StepUp(w, p, b))],
    ['Logout', 1, fc.tuple(which, onB).map(([w, b]) => new Logout(w, b))],
    [
      'ThiefEnds',
      1,
      fc.tuple(which, fc.boolean(), fc.boolean(), onB).map(([w, v, t, b]) => new ThiefEnds(w, v, t, b)),
    ],
    ['RevokeSession', 1, fc.tuple(which, fc.boolean(), onB).map(([w, e, b]) => new RevokeSession(w, e, b))],
    ['PublicIntrospect', 1, which.map((w) => new PublicIntrospect(w))],
    [
      'CrossSiteLogin',
      1,
      fc.tuple(fc.boolean(), fc.boolean(), onB).map(([t, h, b]) => new CrossSiteLogin(t, h, b)),
    ],
    [
      'CookieWithoutCsrf',
      1,
      fc.tuple(which, fc.boolean(), onB).map(([w, n, b]) => new CookieWithoutCsrf(w, n, b)),
    ],
    [
      'Advance',
      2,
      fc.constantFrom(1_000, 3_000, 7_000, 11_000, 30_000, 600_000).map((ms) => new Advance(ms)),
    ],
  ]
}

const ALL_LOGINS: readonly Login['kind'][] = ['plain', 'dpop', 'backend', 'spa', 'cookie']

/** Every command (optionally only the named ones), weighted, with the login kinds given. */
export function commandArbitraries(
  kinds: readonly Login['kind'][] = ALL_LOGINS,
  names?: readonly string[],
): fc.Arbitrary<Cmd>[] {
  return namedArbitraries(kinds)
    .filter(([name]) => names === undefined || names.includes(name))
    .flatMap(([, weight, arbitrary]) => Array.from({ length: weight }, () => arbitrary))
}
