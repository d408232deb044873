// The server of the abuse benchmark (abuse.mjs): tokenward's auth routes on Fastify with the
// defaults a deployment starts from — the login rate limit on (5 failures per username, 50 per
// address, 15 min), maxSessionsPerUser 100 and its daily eviction budget, DPoP accepted, one
// confidential OAuth client — and `trustProxy: true`, so each load process is its own client address
// (X-Forwarded-For; all of them connect from 127.0.0.1).
//   node abuse-server.mjs <memory|redis> <port> [redisUrl]
// Passwords are checked by `verifyCredentials` (a table lookup, no argon2): 100 000 logins of one
// account fit in the run, and the store — not argon2 — is what is measured. GET /__stats answers
// the store's entry count (memoryStore `size`: revocations, spent marks, rate-limit counters; not
// DPoP proof ids or session records, which have bounds of their own) and, with --expose-gc, the
// heap after a full collection. Prints "ready" when listening.
import Fastify from 'fastify'
import tokenward from '../../dist/adapters/fastify.js'
import { createAuth, memoryStore } from '../../dist/index.js'
import { ABUSE_CLIENT_SECRET, ABUSE_USERS, SECRET } from './lib.mjs'

const [kind, portArg, redisUrl] = process.argv.slice(2)

async function storeOf() {
  if (kind === 'memory') return memoryStore()
  const { createClient } = await import('redis')
  const { redisStore } = await import('../../dist/stores/redis.js')
  const client = createClient({ url: redisUrl })
  client.on('error', () => {}) // the runner stops Redis last; an error here is not the benchmark's
  await client.connect()
  return redisStore({ client, onWarning: () => {} })
}

const store = await storeOf()
const auth = createAuth({
  secret: SECRET,
  store,
  dpop: true,
  clients: { backend: { secret: ABUSE_CLIENT_SECRET } },
})
const app = Fastify()
await app.register(tokenward, {
  auth,
  routes: {
    verifyCredentials: (username, password) =>
      ABUSE_USERS[username] === password ? { id: `u-${username}` } : null,
    trustProxy: true,
  },
})
app.get('/__stats', async () => {
  globalThis.gc?.()
  return { size: store.size ?? null, heapUsed: process.memoryUsage().heapUsed }
})
await app.listen({ port: Number(portArg), host: '127.0.0.1' })
process.stdout.write('ready\n')
process.on('SIGTERM', () => process.exit(0))
