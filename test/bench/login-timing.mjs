// Does the time of a failed login tell whether the account exists? POST /auth/login over real HTTP
// (Hono on @hono/node-server, tokenward's auth routes with `findUser` and the real password module,
// argon2id at the defaults for the dummy check), a wrong password for:
//   wrong          a user whose hash has the default argon2id parameters
//   legacyArgon2   a user whose hash has cheaper argon2id parameters (m = 4 MiB, t = 1: an older
//                  setting; issue 22, item 4)
//   legacyBcrypt   a user whose hash is bcrypt at cost 4 (@node-rs/bcrypt)
// against an unknown user (the dummy check), sample after sample in rotating order. Per kind: the
// median and p90 (ms), and the difference of medians to the unknown user with a 95 % bootstrap
// interval (it contains 0 when the difference is within noise). The rate limit is off (every attempt
// reaches the password check). Prints JSON.
import { serve } from '@hono/node-server'
import { hash as argon2Hash } from '@node-rs/argon2'
import { hash as bcryptHash } from '@node-rs/bcrypt'
import { Hono } from 'hono'
import { authRoutes } from '../../dist/adapters/hono.js'
import { createAuth } from '../../dist/index.js'
import { hashPassword } from '../../dist/password/index.js'
import { freePort, median, QUICK } from './lib.mjs'

const N = QUICK ? 15 : 150
const RIGHT = 'the-right-password'
const users = new Map([
  ['ada', { id: 'u1', passwordHash: await hashPassword(RIGHT) }],
  // algorithm 2 = argon2id
  [
    'legacy-argon2',
    { id: 'u2', passwordHash: await argon2Hash(RIGHT, { algorithm: 2, memoryCost: 4096, timeCost: 1 }) },
  ],
  ['legacy-bcrypt', { id: 'u3', passwordHash: await bcryptHash(RIGHT, { cost: 4 }) }],
])
const KINDS = {
  unknown: 'nobody',
  wrong: 'ada',
  legacyArgon2: 'legacy-argon2',
  legacyBcrypt: 'legacy-bcrypt',
}

const auth = createAuth({ secret: 'timing-bench-secret-at-least-32-bytes!!' })
const app = new Hono()
app.route('/', authRoutes(auth, { findUser: (name) => users.get(name) ?? null, rateLimit: false }))
const port = await freePort()
const server = await new Promise((resolve) => {
  const s = serve({ fetch: app.fetch, port, hostname: '127.0.0.1' }, () => resolve(s))
})
const url = `http://127.0.0.1:${port}/auth/login`

const attempt = async (username) => {
  const start = performance.now()
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username, password: 'wrong-password' }),
  })
  await res.arrayBuffer()
  if (res.status !== 401) throw new Error(`${username}: ${res.status}, expected 401`)
  return performance.now() - start
}

// Warm-up: the dummy hash is made and measured on the routes' first request; the native modules load.
for (const username of Object.values(KINDS)) for (let i = 0; i < 3; i++) await attempt(username)
const kinds = Object.keys(KINDS)
const samples = Object.fromEntries(kinds.map((k) => [k, []]))
for (let i = 0; i < N; i++)
  for (let j = 0; j < kinds.length; j++) {
    const kind = kinds[(i + j) % kinds.length]
    samples[kind].push(await attempt(KINDS[kind]))
  }
server.close()

const p90 = (xs) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.ceil(0.9 * xs.length) - 1)]
/** 95 % bootstrap interval of median(xs) − median(ys). */
function interval(xs, ys, rounds = 2000) {
  const pick = (a) => Array.from(a, () => a[Math.floor(Math.random() * a.length)])
  const diffs = Array.from({ length: rounds }, () => median(pick(xs)) - median(pick(ys))).sort(
    (a, b) => a - b,
  )
  return [diffs[Math.floor(rounds * 0.025)], diffs[Math.floor(rounds * 0.975)]]
}
const u = samples.unknown
const result = { n: N, kinds: {} }
for (const kind of kinds) {
  const xs = samples[kind]
  const row = { medianMs: median(xs), p90Ms: p90(xs) }
  if (kind !== 'unknown') {
    row.diffMs = median(xs) - median(u)
    row.diffPercent = (row.diffMs / median(u)) * 100
    row.p90DiffMs = p90(xs) - p90(u)
    row.interval = interval(xs, u)
  }
  result.kinds[kind] = row
}
// The figures earlier runs printed (run.mjs reads them): unknown user vs a default-hash user.
result.unknownMs = result.kinds.unknown.medianMs
result.wrongMs = result.kinds.wrong.medianMs
result.diffPercent = ((result.unknownMs - result.wrongMs) / result.wrongMs) * 100
console.log(JSON.stringify(result))
