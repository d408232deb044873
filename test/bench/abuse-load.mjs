// The load processes of the abuse benchmark (abuse.mjs), each from an address of its own
// (X-Forwarded-For; the server trusts one proxy hop), forked with IPC:
//   node abuse-load.mjs attacker <baseUrl> <seconds>
//     one anonymous client at full speed, CONCURRENCY requests in flight, cycling through: a login
//     of a new unknown username, a wrong password for an existing account (carol) — both with a
//     fresh valid DPoP proof —, a wrong client secret at /auth/token, an unknown client id there.
//   node abuse-load.mjs flood <baseUrl> <logins> <maxSeconds>
//     one account (flood, right password) logging in `logins` times, each with a fresh DPoP proof
//     from its one key, FLOOD_CONCURRENCY at a time, or until `maxSeconds` have passed.
// Sends { statuses: { '<status> <error> (<description>)': count }, sent, seconds } when done (or
// told 'stop').

import { dpopSigner } from './dpop-client.mjs'
import { ABUSE_USERS } from './lib.mjs'

const [role, base, ...rest] = process.argv.slice(2)
const CONCURRENCY = 16
/**
 * The account's logins in flight at once: at most the per-username limit (5). More would be
 * refused by the login rate limit (each login holds its reservation until it succeeds), and the
 * refusals count for the window: the account would be locked out before the cap is reached.
 */
const FLOOD_CONCURRENCY = 4
const statuses = {}
let sent = 0
let stopped = false
process.on('message', (m) => {
  if (m === 'stop') stopped = true
})
process.on('disconnect', () => process.exit(0))

const sign = await dpopSigner()
const post = async (path, body, headers, dpop) => {
  const url = `${base}${path}`
  const res = await fetch(url, {
    method: 'POST',
    headers: { ...headers, ...(dpop ? { dpop: await sign('POST', url) } : {}) },
    body,
  }).catch((err) => ({ status: `failed (${err.cause?.code ?? err.message})`, text: async () => '' }))
  // The status, the error code and what it says: 429s of the login limit and of the eviction
  // budget differ only in their description.
  const text = await res.text()
  const error = /"error":"(\w+)"/.exec(text)?.[1]
  const description = /"(?:error_description|message)":"([^"]*)"/.exec(text)?.[1]
  const what = [res.status, error, description && `(${description})`].filter(Boolean).join(' ')
  statuses[what] = (statuses[what] ?? 0) + 1
  sent++
}
const json = (address) => ({ 'content-type': 'application/json', 'x-forwarded-for': address })
const form = (address, authorization) => ({
  'content-type': 'application/x-www-form-urlencoded',
  'x-forwarded-for': address,
  authorization,
})
const basic = (id, secret) => `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}`

/** The attacker's requests, in turn. */
const ATTACKS = [
  (n, a) => post('/auth/login', JSON.stringify({ username: `nobody-${n}`, password: 'x' }), json(a), true),
  (n, a) => post('/auth/login', JSON.stringify({ username: 'carol', password: `guess-${n}` }), json(a), true),
  (n, a) =>
    post(
      '/auth/token',
      'grant_type=password&username=carol&password=x',
      form(a, basic('backend', `wrong-secret-${n}`)),
    ),
  (n, a) =>
    post('/auth/token', 'grant_type=password&username=carol&password=x', form(a, basic(`client-${n}`, 's'))),
]

const start = performance.now()
const elapsed = () => (performance.now() - start) / 1000
let next = 0
if (role === 'attacker') {
  const seconds = Number(rest[0])
  const address = '203.0.113.66'
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (!stopped && elapsed() < seconds) {
        const n = next++
        await ATTACKS[n % ATTACKS.length](n, address)
      }
    }),
  )
} else {
  const [logins, maxSeconds] = rest.map(Number)
  const address = '192.0.2.10'
  const body = JSON.stringify({ username: 'flood', password: ABUSE_USERS.flood })
  await Promise.all(
    Array.from({ length: FLOOD_CONCURRENCY }, async () => {
      while (!stopped && next < logins && elapsed() < maxSeconds) {
        next++
        await post('/auth/login', body, json(address), true)
      }
    }),
  )
}
process.send({ statuses, sent, seconds: elapsed() })
