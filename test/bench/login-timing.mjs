// Unknown user vs wrong password through the auth route handler, argon2id at the defaults.
// Prints JSON: median ms of each and the difference.
import { createAuth, createAuthRoutes } from '../../dist/index.js'
import { hashPassword } from '../../dist/password/index.js'

const N = process.env.BENCH_QUICK === '1' ? 10 : 30
const auth = createAuth({ secret: 'timing-bench-secret-at-least-32-bytes!!' })
const user = { id: 'u1', passwordHash: await hashPassword('the-right-password') }
const routes = createAuthRoutes(auth, {
  findUser: (name) => (name === 'ada' ? user : null),
  rateLimit: false,
})
const attempt = async (username) => {
  const start = performance.now()
  await routes.handle({
    method: 'POST',
    path: '/login',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username, password: 'wrong-password' }),
    address: '127.0.0.1',
  })
  return performance.now() - start
}
await attempt('nobody') // warm: the dummy hash is made on first use
const unknown = []
const wrong = []
for (let i = 0; i < N; i++) {
  unknown.push(await attempt('nobody'))
  wrong.push(await attempt('ada'))
}
const median = (xs) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)]
const u = median(unknown)
const w = median(wrong)
console.log(JSON.stringify({ unknownMs: u, wrongMs: w, diffPercent: ((u - w) / w) * 100, n: N }))
