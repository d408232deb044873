// The client side of the runtime flow: the cases of the adapter tests (test/adapters/http-matrix,
// cookie-mode and dpop tests), over real HTTP against one app of test/runtimes/apps.mjs. DPoP
// proofs are made here with jose, independently of tokenward. Runs wherever the driver runs (Bun,
// Deno, Node); `check(name, ok)` records a result and throws on the first failure.
import { calculateJwkThumbprint, decodeProtectedHeader, exportJWK, generateKeyPair, SignJWT } from 'jose'

const json = { 'content-type': 'application/json' }
const form = { 'content-type': 'application/x-www-form-urlencoded' }

const base64url = (bytes) => {
  let text = ''
  for (const b of new Uint8Array(bytes)) text += String.fromCharCode(b)
  return btoa(text).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '')
}
const sha256 = async (text) =>
  base64url(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(text)))
const errorOf = async (res) => (await res.json()).error

function client(url) {
  const get = (path, authorization, headers = {}) =>
    fetch(url + path, { headers: { ...(authorization ? { authorization } : {}), ...headers } })
  const post = (path, body, headers = json) => fetch(url + path, { method: 'POST', headers, body })
  return { get, post }
}

/** Bearer mode: the cases every adapter answers alike. `url` is the app's base (`http://…/hono/hs256`). */
export async function bearerFlow(url, check) {
  const { get, post } = client(url)
  const login = async (username, password) => {
    const res = await post('/auth/login', JSON.stringify({ username, password }))
    return res.status === 200 ? res.json() : { status: res.status }
  }
  const missing = await get('/api/me')
  check(
    '401 token_missing with a bare Bearer challenge',
    missing.status === 401 &&
      missing.headers.get('www-authenticate') === 'Bearer realm="tokenward"' &&
      (await errorOf(missing)) === 'token_missing',
  )
  check('unprotected route 200', (await get('/public')).status === 200)
  const malformed = await get('/api/me', 'Bearer garbage')
  check(
    '401 token_malformed, error="invalid_token"',
    malformed.status === 401 &&
      /^Bearer realm="tokenward", error="invalid_token"/.test(malformed.headers.get('www-authenticate')) &&
      (await errorOf(malformed)) === 'token_malformed',
  )
  const ada = await login('ada', 'ada-password')
  check('login 200', typeof ada.access_token === 'string')
  const me = await get('/api/me', `Bearer ${ada.access_token}`)
  check('200 with the token', me.status === 200 && (await me.json()).name === 'Ada')
  check('lower-case bearer', (await get('/api/me', `bearer ${ada.access_token}`)).status === 200)
  check(
    'refresh token as access token: token_wrong_type',
    (await errorOf(await get('/api/me', `Bearer ${ada.refresh_token}`))) === 'token_wrong_type',
  )
  const bob = await login('bob', 'bob-password')
  check('role admin 200', (await get('/admin', `Bearer ${ada.access_token}`)).status === 200)
  const forbidden = await get('/admin', `Bearer ${bob.access_token}`)
  check(
    '403 insufficient_role',
    forbidden.status === 403 && (await errorOf(forbidden)) === 'insufficient_role',
  )
  const scoped = await get('/scoped', `Bearer ${bob.access_token}`)
  check(
    '403 insufficient_scope with the scope challenge',
    scoped.status === 403 &&
      /error="insufficient_scope".*scope="users:write"/.test(scoped.headers.get('www-authenticate')),
  )
  const token = await post('/auth/token', 'grant_type=password&username=bob&password=bob-password', form)
  check(
    'OAuth2 password form on /auth/token',
    token.status === 200 &&
      token.headers.get('cache-control') === 'no-store' &&
      (await token.json()).token_type === 'bearer',
  )
  const bad = await post('/auth/login', '{not json')
  check(
    '400 invalid_request for a bad body',
    bad.status === 400 && (await errorOf(bad)) === 'invalid_request',
  )
  const statuses = []
  for (let i = 0; i < 4; i++) statuses.push((await login('eve', 'guess')).status)
  check('401 invalid_credentials, then 429 rate_limited', statuses.join() === '401,401,401,429')
  const refreshed = await post('/auth/refresh', JSON.stringify({ refresh_token: ada.refresh_token }))
  check('refresh 200', refreshed.status === 200)
  const pair = await refreshed.json()
  const reused = await post('/auth/refresh', JSON.stringify({ refresh_token: ada.refresh_token }))
  check(
    'reuse detected: 401 refresh_token_reused',
    reused.status === 401 && (await errorOf(reused)) === 'refresh_token_reused',
  )
  check(
    'reuse revokes the family',
    (await errorOf(await get('/api/me', `Bearer ${pair.access_token}`))) === 'token_revoked',
  )
  const fresh = await login('ada', 'ada-password')
  const out = await fetch(`${url}/auth/logout`, {
    method: 'POST',
    headers: { authorization: `Bearer ${fresh.access_token}` },
  })
  check('logout 204', out.status === 204)
  check(
    'revoked after logout',
    (await errorOf(await get('/api/me', `Bearer ${fresh.access_token}`))) === 'token_revoked',
  )
  check(
    'its refresh token stops working',
    (await errorOf(await post('/auth/refresh', JSON.stringify({ refresh_token: fresh.refresh_token })))) ===
      'token_revoked',
  )
  const other = await login('ada', 'ada-password')
  const profile = await get('/auth/me', `Bearer ${other.access_token}`)
  const body = await profile.json()
  check(
    '/auth/me without private fields',
    profile.status === 200 && body.id === 'u-ada' && !('password' in body),
  )
  return { accessToken: other.access_token, alg: decodeProtectedHeader(other.access_token).alg }
}

/** Cookie mode: HttpOnly cookies, the signed double-submit CSRF header on unsafe methods, logout clears. */
export async function cookieFlow(url, check) {
  const res = await fetch(`${url}/auth/login`, {
    method: 'POST',
    headers: json,
    body: JSON.stringify({ username: 'ada', password: 'ada-password' }),
  })
  const cookies = res.headers.getSetCookie()
  const access = cookies.find((c) => c.startsWith('__Host-tw_access=')) ?? ''
  check(
    'login sets __Host- HttpOnly Secure SameSite=Strict cookies',
    /HttpOnly/i.test(access) && /Secure/i.test(access) && /SameSite=Strict/i.test(access),
  )
  const body = await res.json()
  check('no refresh token in the cookie-mode body', !('refresh_token' in body))
  const jar = cookies.map((c) => c.split(';')[0]).join('; ')
  const csrf = /__Host-tw_csrf=([^;]+)/.exec(jar)?.[1]
  check('the CSRF token is the cookie', typeof csrf === 'string' && body.csrf_token === csrf)
  check(
    'cookie authenticates GET',
    (await fetch(`${url}/api/me`, { headers: { cookie: jar } })).status === 200,
  )
  const blocked = await fetch(`${url}/api/echo`, { method: 'POST', headers: { cookie: jar } })
  check(
    'POST without the CSRF header: 403 csrf_failed',
    blocked.status === 403 && (await errorOf(blocked)) === 'csrf_failed',
  )
  const forged = await fetch(`${url}/api/echo`, {
    method: 'POST',
    headers: { cookie: jar, 'x-csrf-token': `${csrf}x` },
  })
  check('POST with a wrong CSRF header: 403', forged.status === 403)
  const allowed = await fetch(`${url}/api/echo`, {
    method: 'POST',
    headers: { cookie: jar, 'x-csrf-token': csrf },
  })
  check('POST with the CSRF header: 200', allowed.status === 200)
  const refreshed = await fetch(`${url}/auth/refresh`, {
    method: 'POST',
    headers: { cookie: jar, 'x-csrf-token': csrf },
  })
  check(
    'refresh by the refresh cookie',
    refreshed.status === 200 && !('refresh_token' in (await refreshed.json())),
  )
  const out = await fetch(`${url}/auth/logout`, {
    method: 'POST',
    headers: { cookie: jar, 'x-csrf-token': csrf },
  })
  check(
    'logout 204 clears the cookies',
    out.status === 204 && out.headers.getSetCookie().every((c) => /Max-Age=0/i.test(c)),
  )
  check('the cookie is revoked', (await fetch(`${url}/api/me`, { headers: { cookie: jar } })).status === 401)
}

/** DPoP (RFC 9449): tokens bound to a key made here; a proof per request; no bearer downgrade. */
export async function dpopFlow(url, check) {
  const { privateKey, publicKey } = await generateKeyPair('ES256')
  const jwk = await exportJWK(publicKey)
  const proof = (htm, htu, extra = {}) =>
    new SignJWT({ htm, htu, jti: crypto.randomUUID(), iat: Math.floor(Date.now() / 1000), ...extra })
      .setProtectedHeader({ typ: 'dpop+jwt', alg: 'ES256', jwk })
      .sign(privateKey)
  const login = await fetch(`${url}/auth/login`, {
    method: 'POST',
    headers: { ...json, dpop: await proof('POST', `${url}/auth/login`) },
    body: JSON.stringify({ username: 'ada', password: 'ada-password' }),
  })
  const tokens = await login.json()
  check('login with a proof: token_type DPoP', login.status === 200 && tokens.token_type === 'DPoP')
  const ath = await sha256(tokens.access_token)
  const [, payload] = tokens.access_token.split('.')
  const cnf = JSON.parse(
    new TextDecoder().decode(
      Uint8Array.from(atob(payload.replace(/-/g, '+').replace(/_/g, '/')), (c) => c.charCodeAt(0)),
    ),
  ).cnf
  check('bound to the proof key (cnf.jkt)', cnf?.jkt === (await calculateJwkThumbprint(jwk)))
  const me = (authorization, dpop) =>
    fetch(`${url}/api/me`, { headers: { authorization, ...(dpop ? { dpop } : {}) } })
  const p = await proof('GET', `${url}/api/me`, { ath })
  check('bound token with a proof: 200', (await me(`DPoP ${tokens.access_token}`, p)).status === 200)
  const replay = await me(`DPoP ${tokens.access_token}`, p)
  check(
    'replayed proof: 401 invalid_dpop_proof, DPoP challenge',
    replay.status === 401 &&
      (await errorOf(replay)) === 'invalid_dpop_proof' &&
      /^DPoP realm="tokenward", error="invalid_dpop_proof"/.test(replay.headers.get('www-authenticate')),
  )
  check(
    'bound token as Bearer: 401 (no downgrade)',
    (await me(`Bearer ${tokens.access_token}`)).status === 401,
  )
  const elsewhere = await me(`DPoP ${tokens.access_token}`, await proof('GET', `${url}/admin`, { ath }))
  check(
    'proof for another URL: 401',
    elsewhere.status === 401 && (await errorOf(elsewhere)) === 'invalid_dpop_proof',
  )
  const refresh = (dpop) =>
    fetch(`${url}/auth/refresh`, {
      method: 'POST',
      headers: { ...json, ...(dpop ? { dpop } : {}) },
      body: JSON.stringify({ refresh_token: tokens.refresh_token }),
    })
  check('refresh without a proof: 401', (await refresh()).status === 401)
  const ok = await refresh(await proof('POST', `${url}/auth/refresh`))
  check(
    'refresh with a proof of the key: 200 DPoP',
    ok.status === 200 && (await ok.json()).token_type === 'DPoP',
  )
}

/**
 * Every app of test/runtimes/apps.mjs served at `origin`: bearer cases on HS256, ES256 and EdDSA,
 * cookie mode and DPoP, each on Hono and on tokenward/fetch. Returns the results by app.
 */
export async function runtimeFlow(origin, only = ['hono', 'fetch']) {
  const results = []
  for (const kind of only) {
    for (const name of ['hs256', 'es256', 'eddsa', 'cookie', 'dpop']) {
      const url = `${origin}/${kind}/${name}`
      const check = (what, ok) => {
        results.push({ name: `${kind}/${name}: ${what}`, ok: Boolean(ok) })
        if (!ok) throw new Error(`failed: ${kind}/${name}: ${what}`)
      }
      if (name === 'cookie') await cookieFlow(url, check)
      else if (name === 'dpop') await dpopFlow(url, check)
      else {
        const { alg } = await bearerFlow(url, check)
        check(`signed with ${alg}`, alg === { hs256: 'HS256', es256: 'ES256', eddsa: 'EdDSA' }[name])
      }
    }
  }
  return results
}
