// Helpers shared by the benchmark scripts.
import { execFileSync, fork, spawn } from 'node:child_process'
import { createServer } from 'node:net'
import { setPriority } from 'node:os'
import { fileURLToPath } from 'node:url'

export const QUICK = process.env.BENCH_QUICK === '1'

/** The HMAC secret every HTTP benchmark server and client shares. */
export const SECRET = 'http-bench-secret-that-is-at-least-32-bytes!!'

/**
 * The abuse benchmark's accounts (username → password): the victim, the account that logs in
 * 100 000 times, and the one whose password the attacker guesses.
 */
export const ABUSE_USERS = { victim: 'victim-password', flood: 'flood-password', carol: 'carol-password' }
/** The abuse benchmark's confidential OAuth client `backend`. */
export const ABUSE_CLIENT_SECRET = 'backend-client-secret-0123456789'

export const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b)
  return s.length % 2 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2
}

/**
 * `store` without the optional session methods, so issuing tokens records no session: the signing
 * and soak benchmarks mint far more tokens than `memoryStore()` holds sessions (maxSessions), and
 * measure signing and verifying, not session bookkeeping.
 */
export const sessionless = (store) => ({
  revoke: store.revoke,
  isRevoked: store.isRevoked,
  consume: store.consume,
  setCutoff: store.setCutoff,
  getCutoff: store.getCutoff,
  hit: store.hit,
  close: store.close,
})

/** A free TCP port on 127.0.0.1. */
export function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address()
      server.close(() => resolve(port))
    })
  })
}

/** Spawns a child that prints "ready" when it listens; resolves once it has. */
export function spawnReady(args, options = {}) {
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'], ...options })
  return new Promise((resolve, reject) => {
    let out = ''
    const timer = setTimeout(() => reject(new Error(`${args.join(' ')} did not start`)), 20_000)
    child.stdout.on('data', (chunk) => {
      out += chunk
      if (out.includes('ready')) {
        clearTimeout(timer)
        resolve(child)
      }
    })
    child.once('exit', (code) => {
      clearTimeout(timer)
      reject(new Error(`${args.join(' ')} exited with ${code}`))
    })
  })
}

export function stop(child) {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve()
    child.removeAllListeners('exit')
    child.once('exit', () => resolve())
    child.kill('SIGKILL')
  })
}

/**
 * A throw-away redis-server on 127.0.0.1 (no persistence). `priority` (a nice value, e.g. -10) runs
 * it ahead of the benchmark's other processes where the OS allows: in production Redis has cores of
 * its own, and a command descheduled half-way shows in SLOWLOG as a slow command.
 */
export async function startRedis({ priority } = {}) {
  const bin = execFileSync('sh', ['-c', 'command -v redis-server'], { encoding: 'utf8' }).trim()
  if (!bin) throw new Error('redis-server is not on PATH (apt-get install redis-server)')
  const port = await freePort()
  const child = spawn(
    bin,
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  )
  await new Promise((resolve, reject) => {
    let out = ''
    const timer = setTimeout(() => reject(new Error(`redis-server did not start:\n${out}`)), 10_000)
    child.stdout.on('data', (chunk) => {
      out += chunk
      if (out.includes('Ready to accept connections')) {
        clearTimeout(timer)
        resolve()
      }
    })
  })
  let prioritized = false
  if (priority !== undefined)
    try {
      setPriority(child.pid, priority)
      prioritized = true
    } catch {
      // Not allowed (an unprivileged user cannot raise a priority): measured as it is.
    }
  return { url: `redis://127.0.0.1:${port}`, prioritized, stop: () => stop(child) }
}

/**
 * A latency proxy (latency-proxy.mjs, its own process) in front of the server at `url`: the same
 * URL scheme, `delayMs` further away each way. `chunks()` resolves to the chunks clients have sent
 * through it so far, per connection in the order they were made (round trips, give or take).
 */
export async function startLatencyProxy(url, delayMs) {
  const { hostname, port, protocol } = new URL(url)
  const own = await freePort()
  const script = fileURLToPath(new URL('./latency-proxy.mjs', import.meta.url))
  const child = fork(script, [String(own), hostname, port, String(delayMs)], {
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  })
  await new Promise((resolve, reject) => {
    child.once('message', resolve)
    child.once('exit', (code) => reject(new Error(`latency-proxy exited with ${code}`)))
  })
  child.removeAllListeners('exit')
  return {
    url: `${protocol}//127.0.0.1:${own}`,
    chunks: () =>
      new Promise((resolve) => {
        child.once('message', (m) => resolve(m.chunks))
        child.send('stats')
      }),
    stop: () => stop(child),
  }
}
