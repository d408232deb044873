// Bounded under abuse (issue 22): does one anonymous client, or one account, take away what other
// users need? For memoryStore and a real Redis, on one server (abuse-server.mjs: Fastify, the auth
// routes at their defaults, DPoP on):
//   baseline  a victim (this process) logs in, refreshes and logs out in a loop, each request with a
//             fresh DPoP proof, alone;
//   attack    the same victim, while one anonymous client runs at full speed for ATTACK_SECONDS
//             (abuse-load.mjs attacker: unknown users and wrong passwords with fresh DPoP proofs,
//             wrong client secrets and unknown clients at /auth/token) and one account logs in
//             FLOOD times with the right password and fresh DPoP proofs (abuse-load.mjs flood; the
//             cap of 100 sessions and its daily eviction budget answer most of them).
// Reported: the victim's success rate and latency (median, p99) in each phase; what the attacker and
// the account were answered; the store's growth (memoryStore: its entry count and the server's heap
// after a full GC; Redis: INFO memory used_memory, the number of keys, and the keys by kind after
// the attack); Redis's slowest command during the attack (SLOWLOG, read and reset every second).
// Each process gets a client address of its own (X-Forwarded-For, one trusted hop). Prints JSON.
import { fork } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { createClient } from 'redis'
import { dpopSigner } from './dpop-client.mjs'
import { ABUSE_USERS, freePort, median, QUICK, spawnReady, startRedis, stop } from './lib.mjs'

const BASELINE_SECONDS = QUICK ? 3 : 10
const ATTACK_SECONDS = QUICK ? 5 : 30
const FLOOD = QUICK ? 2_000 : 100_000
/** The account's logins stop here if they have not all been sent (reported). */
const FLOOD_MAX_SECONDS = QUICK ? 10 : 150
const VICTIM_ADDRESS = '198.51.100.20'
/**
 * What the attack may leave in the store, by construction (the routes' defaults: maxPerAddress 50,
 * maxSessionsPerUser 100): the attacker's two address counters (logins, client authentication);
 * a counter for each username and each client id it tried before its address was refused (≤ 50
 * each); carol's username counter and backend's client counter (2); the account's sessions ended by
 * its own logins, each revoked (≤ 100: the daily eviction budget), and the budget's counter (1).
 * memoryStore's `size` counts these; its session records and DPoP proof ids have bounds of their
 * own (maxSessions, maxProofs). On Redis every one is a key, and so are the account's session
 * records (3 keys) and the DPoP proof ids of its accepted logins (≤ 200: 100 under the cap, 100
 * that each ended the oldest).
 */
const ATTACK_BOUND = { memory: 2 + 50 + 50 + 2 + 100 + 1, redis: 2 + 50 + 50 + 2 + 100 + 1 + 3 + 200 }
const here = (file) => fileURLToPath(new URL(file, import.meta.url))

const percentile = (xs, p) => {
  const s = [...xs].sort((a, b) => a - b)
  return s.length === 0 ? 0 : s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)]
}

/** The victim's DPoP key thumbprints: its proof ids on Redis name them. */
const victimKeys = []

/** The victim's loop until `done()`: login → refresh → logout, every request timed. */
async function victim(base, done) {
  const sign = await dpopSigner()
  victimKeys.push(sign.jkt)
  const latencies = []
  const failures = {}
  let cycles = 0
  let ok = 0
  const post = async (path, body) => {
    const url = `${base}${path}`
    const dpop = await sign('POST', url) // made before the clock starts: the client's work, not the server's
    const start = performance.now()
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-forwarded-for': VICTIM_ADDRESS, dpop },
      body: JSON.stringify(body),
    })
    const text = await res.text()
    latencies.push(performance.now() - start)
    if (res.status >= 300) {
      const what = `${path} ${res.status} ${/"error":"(\w+)"/.exec(text)?.[1] ?? ''}`.trim()
      failures[what] = (failures[what] ?? 0) + 1
      return undefined
    }
    return text ? JSON.parse(text) : {}
  }
  const started = performance.now()
  while (!done()) {
    cycles++
    const pair = await post('/auth/login', { username: 'victim', password: ABUSE_USERS.victim })
    const next = pair && (await post('/auth/refresh', { refresh_token: pair.refresh_token }))
    const out = next && (await post('/auth/logout', { refresh_token: next.refresh_token }))
    if (out) ok++
  }
  return {
    seconds: (performance.now() - started) / 1000,
    cycles,
    successRate: ok / cycles,
    requests: latencies.length,
    medianMs: median(latencies),
    p99Ms: percentile(latencies, 99),
    failures,
  }
}

/** Forks a load process; resolves to its report when it finishes (or is told to stop). */
function load(args) {
  const child = fork(here('./abuse-load.mjs'), args, { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] })
  const report = new Promise((resolve, reject) => {
    child.once('message', resolve)
    child.once('exit', (code) => reject(new Error(`abuse-load ${args[0]} exited with ${code}`)))
  })
  return { report, stop: () => child.connected && child.send('stop'), kill: () => stop(child) }
}

async function connect(url) {
  const client = createClient({ url })
  client.on('error', () => {})
  await client.connect()
  return client
}

/** What the store holds now (Redis: also how many of the keys are the victim's). */
async function storeStats(base, admin) {
  const server = await (await fetch(`${base}/__stats`)).json()
  if (!admin) return { entries: server.size, heapBytes: server.heapUsed }
  const info = await admin.info('memory')
  const { byKind, victim } = await keysOf(admin)
  return { usedMemory: Number(/used_memory:(\d+)/.exec(info)[1]), keys: await admin.dbSize(), victim, byKind }
}

/** What each kind of redisStore key holds (the segment after the hash tag). */
const KIND_NAMES = {
  r: 'revocations',
  f: 'refresh family states',
  u: 'one-time ids',
  h: 'counters (rate limits, eviction budget)',
  c: 'cutoffs',
  si: 'session records (expiry index)',
  sl: 'session records (listing index)',
  sr: 'session records',
}

/**
 * The number of keys of each kind (one-time ids that are DPoP proofs counted apart), and how many
 * are the victim's: under its user id, its username or address (rate-limit counters), or a proof of
 * one of its keys.
 */
async function keysOf(admin) {
  const byKind = {}
  let victim = 0
  for await (const keys of admin.scanIterator({ COUNT: 1000 }))
    for (const key of Array.isArray(keys) ? keys : [keys]) {
      const [, kind = '?', rest = ''] = /^tokenward:\{[^}]*\}:([^:]+):(.*)$/.exec(key) ?? []
      const name = kind === 'u' && rest.includes('dpop%3A') ? 'DPoP proof ids' : (KIND_NAMES[kind] ?? kind)
      byKind[name] = (byKind[name] ?? 0) + 1
      if (/victim|198\.51\.100\.20/.test(key) || victimKeys.some((jkt) => key.includes(jkt))) victim++
    }
  return { byKind, victim }
}

/** The slowest command in Redis's SLOWLOG since the last call (and how many took over 1 ms); resets it. */
async function slowest(admin) {
  const entries = await admin.sendCommand(['SLOWLOG', 'GET', '-1'])
  await admin.sendCommand(['SLOWLOG', 'RESET'])
  let top = { micros: 0, command: '' }
  let overOneMs = 0
  for (const [, , micros, args] of entries) {
    if (micros > 1000) overOneMs++
    if (micros > top.micros) {
      // EVAL's script is its second argument: keep the command and its first key.
      const name = String(args[0]).toUpperCase()
      const key = name.startsWith('EVAL') ? args[3] : args[1]
      top = { micros: Number(micros), command: `${name} ${key ?? ''}`.trim() }
    }
  }
  return { ...top, overOneMs }
}

/**
 * The app's command with the highest mean time per call during the attack (INFO commandstats, at
 * least 100 calls; the benchmark's own polling left out): the work a command does, which a descheduled redis-server does not inflate the way it
 * inflates SLOWLOG's single worst call.
 */
async function costliest(admin) {
  const info = String(await admin.sendCommand(['INFO', 'commandstats']))
  let top = { command: '', calls: 0, microsPerCall: 0, allCalls: 0 }
  let allCalls = 0
  for (const m of info.matchAll(/^cmdstat_([^:]+):calls=(\d+),usec=\d+,usec_per_call=([\d.]+)/gm)) {
    const [calls, perCall] = [Number(m[2]), Number(m[3])]
    // The benchmark's own SLOWLOG / INFO / CONFIG polling is not the app's.
    if (/^(slowlog|info|config|client)/.test(m[1])) continue
    allCalls += calls
    if (calls >= 100 && perCall > top.microsPerCall)
      top = { command: m[1].toUpperCase(), calls, microsPerCall: perCall, allCalls: 0 }
  }
  return { ...top, allCalls }
}

async function scenario(kind) {
  // Redis runs ahead of the attacker, victim and server (nice -10) where the OS allows: on two shared
  // cores a descheduled redis-server would otherwise show in SLOWLOG as a slow command.
  const redis = kind === 'redis' ? await startRedis({ priority: -10 }) : undefined
  const admin = redis && (await connect(redis.url))
  const port = await freePort()
  const server = await spawnReady(
    ['--expose-gc', here('./abuse-server.mjs'), kind, String(port), redis?.url ?? ''],
    {},
  )
  const base = `http://127.0.0.1:${port}`
  const loads = []
  try {
    if (admin) {
      await admin.sendCommand(['CONFIG', 'SET', 'slowlog-log-slower-than', '100'])
      await admin.sendCommand(['CONFIG', 'SET', 'slowlog-max-len', '1024'])
    }
    const before = await storeStats(base, admin)
    const seconds = (s) => {
      const end = performance.now() + s * 1000
      return () => performance.now() >= end
    }
    const baseline = await victim(base, seconds(BASELINE_SECONDS))
    const afterBaseline = await storeStats(base, admin)
    console.error(`abuse ${kind}: baseline done`)
    if (admin) {
      await slowest(admin) // from here on: the attack's
      await admin.sendCommand(['CONFIG', 'RESETSTAT'])
    }

    const attacker = load(['attacker', base, String(ATTACK_SECONDS)])
    const flood = load(['flood', base, String(FLOOD), String(FLOOD_MAX_SECONDS)])
    loads.push(attacker, flood)
    let finished = 0
    const reports = [attacker.report, flood.report].map((p) => p.finally(() => finished++))
    for (const p of reports) p.catch(() => {}) // awaited below; a failure ends the run there
    const slow = { micros: 0, command: '', overOneMs: 0 }
    const poll = admin
      ? setInterval(async () => {
          const s = await slowest(admin).catch(() => undefined)
          if (!s) return
          slow.overOneMs += s.overOneMs
          if (s.micros > slow.micros) Object.assign(slow, { micros: s.micros, command: s.command })
        }, 1000)
      : undefined
    const attack = await victim(base, () => finished === 2)
    clearInterval(poll)
    const [attackerReport, floodReport] = await Promise.all(reports)
    if (admin) {
      const s = await slowest(admin)
      slow.overOneMs += s.overOneMs
      if (s.micros > slow.micros) Object.assign(slow, { micros: s.micros, command: s.command })
      slow.costliest = await costliest(admin)
    }
    const afterAttack = await storeStats(base, admin)
    console.error(`abuse ${kind}: attack done`)
    // The growth during the attack, less the victim's own share. Redis: its keys, counted. memoryStore
    // (no listing): what a cycle left during the baseline (a logout's revocation, the family's
    // state), times the cycles it completed during the attack.
    const unit = admin ? 'keys' : 'entries'
    const grown = afterAttack[unit] - afterBaseline[unit]
    const victimShare = admin
      ? afterAttack.victim - afterBaseline.victim
      : ((afterBaseline[unit] - before[unit]) / baseline.cycles) * attack.cycles * attack.successRate
    const growth = { unit, grown, victimShare, attackShare: grown - victimShare, bound: ATTACK_BOUND[kind] }
    return {
      baseline,
      attack,
      attacker: { ...attackerReport, rps: attackerReport.sent / attackerReport.seconds },
      flood: { ...floodReport, rps: floodReport.sent / floodReport.seconds },
      store: { before, afterBaseline, afterAttack },
      growth,
      ...(admin ? { slowlog: { ...slow, prioritized: redis.prioritized } } : {}),
    }
  } finally {
    await Promise.all(loads.map((l) => l.kill()))
    await stop(server)
    await admin?.quit().catch(() => {})
    await redis?.stop()
  }
}

const result = {
  baselineSeconds: BASELINE_SECONDS,
  attackSeconds: ATTACK_SECONDS,
  floodLogins: FLOOD,
  floodMaxSeconds: FLOOD_MAX_SECONDS,
}
result.memory = await scenario('memory')
result.redis = await scenario('redis')
console.log(JSON.stringify(result))
