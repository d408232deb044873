// Revocation propagation between two instances on one Redis: instance A (a child process) revokes
// a token that instance B (this process) has just verified — and, with the verdict cache on, holds
// as "not revoked" in its cache — and B checks the token again and again (every 0.1 ms, yielding
// to I/O between checks, as a server between requests) until it is rejected. Measured per revocation, on the
// machine's monotonic clock, which both processes share:
//   fromCall     A calls auth.revoke(token)   → B's first rejection
//   fromResolved A's revoke() has resolved    → B's first rejection (negative: B knew first)
// With the cache (B hears an invalidation) and without it (B asks Redis on every check).
// `node propagation.mjs` prints JSON; `node propagation.mjs revoker <url> <prefix>` is the child.
import { fork } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { createClient } from 'redis'
import { createAuth } from '../../dist/index.js'
import { redisStore } from '../../dist/stores/redis.js'
import { QUICK, SECRET, startRedis } from './lib.mjs'

const N = QUICK ? 50 : 300
const pause = new Int32Array(new SharedArrayBuffer(4))

async function connect(url) {
  const client = createClient({ url })
  client.on('error', () => {})
  await client.connect()
  return client
}

const now = () => process.hrtime.bigint()
const ms = (ns) => Number(ns) / 1e6

if (process.argv[2] === 'revoker') {
  // Instance A: revokes what it is told to, and says when it called and when revoke() resolved.
  const [url, prefix] = process.argv.slice(3)
  const client = await connect(url)
  const auth = createAuth({ secret: SECRET, store: redisStore({ client, prefix, onWarning: () => {} }) })
  process.on('message', async ({ id, token }) => {
    const called = now()
    try {
      await auth.revoke(token)
    } catch (err) {
      process.send({ id, error: String(err?.cause ?? err) })
      return
    }
    const resolved = now()
    process.send({ id, called: String(called), resolved: String(resolved) })
  })
  process.on('disconnect', () => process.exit(0))
  process.send('ready')
} else {
  const percentile = (xs, p) => {
    const s = [...xs].sort((a, b) => a - b)
    return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)]
  }
  const summary = (xs) => ({
    p50: percentile(xs, 50),
    p99: percentile(xs, 99),
    max: Math.max(...xs),
    min: Math.min(...xs),
  })
  const redis = await startRedis()
  const result = { revocations: N }
  try {
    for (const cache of [true, false]) {
      const prefix = `prop-${cache ? 'cache' : 'nocache'}:`
      const child = fork(fileURLToPath(import.meta.url), ['revoker', redis.url, prefix], {
        stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
      })
      const replies = new Map()
      let ready
      let failed
      const isReady = new Promise((resolve, reject) => {
        ready = resolve
        failed = reject
      })
      const exited = new Promise((_, reject) =>
        child.once('exit', (code) => {
          const err = new Error(`instance A exited (${code})`)
          failed(err)
          reject(err)
        }),
      )
      exited.catch(() => {})
      child.on('message', (m) => {
        if (m === 'ready') ready()
        else replies.get(m.id)?.(m)
      })
      await isReady
      const revoke = (id, token) =>
        Promise.race([
          exited,
          new Promise((resolve, reject) => {
            replies.set(id, (m) => (m.error ? reject(new Error(`instance A: ${m.error}`)) : resolve(m)))
            child.send({ id, token })
          }),
        ])

      const client = await connect(redis.url)
      const store = redisStore({ client, prefix, cache, onWarning: () => {} })
      const auth = createAuth({ secret: SECRET, store })
      const pairs = []
      for (let i = 0; i < N; i++) pairs.push(await auth.issueTokens({ sub: `user-${i % 50}` }))
      await auth.verifyAccessToken(pairs[0].accessToken)
      while (cache && !store.cacheStats().live) await new Promise((resolve) => setTimeout(resolve, 5))

      const fromCall = []
      const fromResolved = []
      for (let i = 0; i < N; i++) {
        const token = pairs[i].accessToken
        await auth.verifyAccessToken(token)
        await auth.verifyAccessToken(token) // with the cache: a hit, no round trip
        const reply = revoke(i, token)
        reply.catch(() => {}) // awaited below; a failure ends the run there
        let rejectedAt
        for (;;) {
          const ok = await auth.verifyAccessToken(token).then(
            () => true,
            (err) => {
              if (err.code !== 'token_revoked') throw err
              return false
            },
          )
          if (!ok) {
            rejectedAt = now()
            break
          }
          // Sleep 0.1 ms (without burning the core Redis and A need), then let I/O in.
          Atomics.wait(pause, 0, 0, 0.1)
          await new Promise((resolve) => setImmediate(resolve))
        }
        const { called, resolved } = await reply
        fromCall.push(ms(rejectedAt - BigInt(called)))
        fromResolved.push(ms(rejectedAt - BigInt(resolved)))
      }
      result[cache ? 'cache' : 'noCache'] = {
        fromCall: summary(fromCall),
        fromResolved: summary(fromResolved),
        stats: store.cacheStats(),
      }
      console.error(`propagation ${cache ? 'with' : 'without'} the cache done`)
      child.removeAllListeners('exit')
      child.disconnect()
      await store.close()
      await client.quit()
    }
  } finally {
    await redis.stop()
  }
  console.log(JSON.stringify(result))
}
