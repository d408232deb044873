// `npm run bench`: builds dist, runs every benchmark in its own process (one after another, so
// they never compete for the two cores), and rewrites docs/benchmarks.md from what they print.
// BENCH_QUICK=1 makes a short smoke run (its numbers are not worth publishing).
import { execFileSync } from 'node:child_process'
import { readFileSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { cpus, totalmem } from 'node:os'
import { fileURLToPath } from 'node:url'
import { QUICK } from './lib.mjs'
import { postgresReport } from './postgres-report.mjs'

const require = createRequire(import.meta.url)
const root = fileURLToPath(new URL('../../', import.meta.url))
const started = performance.now()

execFileSync('npx', ['tsup', '--silent'], { cwd: root, stdio: 'inherit' })

/** Runs one benchmark script in a fresh Node process and parses the JSON it prints. */
const run = (script, { nodeFlags = [], args = [] } = {}) => {
  const t = performance.now()
  const out = execFileSync(process.execPath, [...nodeFlags, `test/bench/${script}`, ...args], {
    cwd: root,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
    maxBuffer: 64 * 1024 * 1024,
  })
  console.error(`${script} ${args.join(' ')}: ${((performance.now() - t) / 1000).toFixed(0)} s`)
  return JSON.parse(out)
}

const micro = run('micro.mjs')
const http = run('http.mjs')
const refresh = run('refresh.mjs')
const propagation = run('propagation.mjs')
const password = run('password.mjs')
const timing = run('login-timing.mjs')
const memStore = run('memory.mjs', { nodeFlags: ['--expose-gc'], args: ['store'] })
const memCache = run('memory.mjs', { nodeFlags: ['--expose-gc'], args: ['cache'] })
const memVerdicts = run('memory.mjs', { nodeFlags: ['--expose-gc'], args: ['redis-cache'] })
const soak = run('soak.mjs')
const imports = run('import.mjs')
const postgres = run('postgres.mjs')
const sizes = (() => {
  const { buildSync } = require('esbuild')
  const { gzipSync } = require('node:zlib')
  const size = (contents) => {
    const out = buildSync({
      stdin: { contents, resolveDir: root },
      bundle: true,
      format: 'esm',
      platform: 'neutral',
      mainFields: ['module', 'main'],
      minify: true,
      write: false,
      logLevel: 'silent',
    })
    return gzipSync(out.outputFiles[0].contents).length
  }
  return { core: size("export * from './dist/index.js'"), jose: size("export * from 'jose'") }
})()
const totalSeconds = (performance.now() - started) / 1000

// --- formatting ------------------------------------------------------------------------------------------------

const version = (name) => JSON.parse(readFileSync(`${root}node_modules/${name}/package.json`, 'utf8')).version
const redisVersion = (() => {
  try {
    return execFileSync('redis-server', ['--version'], { encoding: 'utf8' }).match(/v=([\d.]+)/)?.[1] ?? '?'
  } catch {
    return '?'
  }
})()
const k = (n) => (n == null ? 'n/a' : n >= 1e6 ? `${(n / 1e6).toFixed(2)}M` : `${(n / 1000).toFixed(1)}k`)
const x = (n) => `${n.toFixed(2)}×`
const ms = (n) => `${n.toFixed(1)} ms`
const mark = (ok) => (ok ? '✅' : '❌')

const targets = []
const target = (what, measured, goal, ok) => {
  targets.push({ what, measured, goal, ok })
  return mark(ok)
}

const lines = []
const p = (...ls) => lines.push(...ls)

// Verify
const verifyRows = micro.rows.map((r) => {
  const goal = r.alg === 'HS256' ? 1.0 : 0.95
  const ok = target(
    `verify ${r.alg}, distinct tokens, ÷ fast-jwt`,
    x(r.verifyRatio),
    `≥ ${goal}×`,
    r.verifyRatio >= goal,
  )
  return `| ${r.alg} | ${k(r.verify.tokenward)} | ${k(r.verify.fastjwt)} | ${k(r.verify.jose)} | ${k(r.verify.jsonwebtoken)} | **${x(r.verifyRatio)}** | ≥ ${goal}× ${ok} |`
})
const sameRows = micro.rows.map((r) => {
  const ok = target(
    `verify ${r.alg}, same token, ÷ fast-jwt with cache`,
    x(r.sameTokenRatio),
    '≥ 1.0×',
    r.sameTokenRatio >= 1,
  )
  return `| ${r.alg} | ${k(r.sameToken.tokenward)} | ${k(r.sameToken.fastjwt)} | **${x(r.sameTokenRatio)}** | ≥ 1.0× ${ok} |`
})
const hs = micro.rows.find((r) => r.alg === 'HS256')

// HTTP
const label = {
  open: 'unprotected',
  'open-mw': 'unprotected, behind a no-op middleware (Fastify: an async preHandler)',
  tokenward: 'tokenward middleware (memory store)',
  'tokenward-protect': 'tokenward `protect()` handler (memory store)',
  'tokenward-redis-protect': 'tokenward `protect()` handler (Redis store, verdict cache on)',
  'tokenward-redis': 'tokenward (Redis store, verdict cache on: the default)',
  'tokenward-redis-nocache': 'tokenward (Redis store, `cache: false`)',
  peer: 'peer plugin',
}
const peerName = { express: 'express-jwt', fastify: '@fastify/jwt', hono: 'hono/jwt' }
const httpSections = http.results.map((row) => {
  const out = [`### ${row.framework[0].toUpperCase()}${row.framework.slice(1)}`, '']
  out.push(
    '| route | req/s | p99 latency | server CPU per request | req/s ÷ unprotected | CPU: unprotected ÷ this |',
  )
  out.push('| --- | --- | --- | --- | --- | --- |')
  for (const [mode, r] of Object.entries(row)) {
    if (mode === 'framework') continue
    const name = mode === 'peer' ? `${peerName[row.framework]}` : label[mode]
    out.push(
      `| ${name} | ${k(r.rps)} | ${r.p99} ms | ${r.cpuMicros.toFixed(1)} µs | ${r.ratio === undefined ? '—' : x(r.ratio)} | ${r.cpuRatio === undefined ? '—' : x(r.cpuRatio)} |`,
    )
  }
  const tw = row.tokenward
  if (row['tokenward-protect']) {
    const pr = row['tokenward-protect']
    target(
      `HTTP ${row.framework}: tokenward \`protect()\` ÷ unprotected`,
      x(pr.ratio),
      '≥ 0.9×',
      pr.ratio >= 0.9,
    )
  }
  target(`HTTP ${row.framework}: tokenward middleware ÷ unprotected`, x(tw.ratio), '≥ 0.9×', tw.ratio >= 0.9)
  const rd = row['tokenward-redis']
  if (row['tokenward-redis-protect']) {
    const rp = row['tokenward-redis-protect']
    target(
      `HTTP ${row.framework}: tokenward \`protect()\` with the Redis store ÷ unprotected`,
      x(rp.ratio),
      '≥ 0.85×',
      rp.ratio >= 0.85,
    )
  }
  target(
    `HTTP ${row.framework}: tokenward middleware with the Redis store ÷ unprotected`,
    x(rd.ratio),
    '≥ 0.85×',
    rd.ratio >= 0.85,
  )
  target(
    `HTTP ${row.framework}: tokenward with the Redis store above ${peerName[row.framework]}`,
    `${x(rd.rps / row.peer.rps)} its req/s`,
    '> 1×',
    rd.rps > row.peer.rps,
  )
  target(
    `HTTP ${row.framework}: tokenward above ${peerName[row.framework]}`,
    `${x(tw.rps / row.peer.rps)} its req/s`,
    '> 1×',
    tw.rps > row.peer.rps,
  )
  return out.join('\n')
})

// Redis
const perReq = Object.entries(refresh.redis.perRequest)
  .map(([c, n]) => `${n} × ${c.toUpperCase()}`)
  .join(' + ')
const oneTrip =
  Object.keys(refresh.redis.perRequest).length === 1 && Object.values(refresh.redis.perRequest)[0] === 1
target('Redis, `cache: false`: round trips per authenticated request', perReq, 'exactly 1', oneTrip)
const cachedTrips = Object.values(refresh.redis.perRequestCached).reduce((a, b) => a + b, 0)
target(
  'Redis, verdict cache on: round trips per request for a known token',
  String(cachedTrips),
  '0',
  cachedTrips === 0,
)
const prop = propagation.cache.fromCall
target(
  'Redis: revocation on instance A → rejected by instance B (verdict cache on), p99',
  `${prop.p99.toFixed(1)} ms`,
  '≤ 10 ms',
  prop.p99 <= 10,
)
target('argon2id hash at the defaults', ms(password.hashMs), '≤ 12 ms', password.hashMs <= 12)
target('argon2id verify at the defaults', ms(password.verifyMs), '≤ 12 ms', password.verifyMs <= 12)
target(
  'event-loop p99 delay, 8 hashes at once',
  ms(password.loopDelayP99Ms),
  '≤ 15 ms',
  password.loopDelayP99Ms <= 15,
)
target(
  'argon2 loaded lazily',
  password.loadedAfterImport ? 'loaded at import' : 'not loaded until the first hash',
  'lazy',
  !password.loadedAfterImport,
)
target('cold import ÷ jose', x(imports.ratio), '≤ 1.2×', imports.ratio <= 1.2)
target(
  'heap growth over the soak',
  `${soak.growthPercent.toFixed(1)} %`,
  'no growth beyond noise (< 5 %)',
  soak.growthPercent < 5,
)

// PostgreSQL (test/bench/postgres-report.mjs): its targets join the table, its section comes below.
const postgresLines = postgresReport(postgres, target)

p('# Benchmarks', '')
p(
  `Generated by \`npm run bench\` (test/bench/run.mjs) on ${new Date().toISOString().slice(0, 10)} in ${Math.round(totalSeconds)} s${QUICK ? ' — **BENCH_QUICK smoke run, not for publishing**' : ''}.`,
)
p(
  `Machine: ${cpus().length} × ${cpus()[0]?.model?.trim() ?? 'cpu'}, ${Math.round(totalmem() / 2 ** 30)} GiB, a shared VM (expect ±10–20 % between runs; every comparison below is made inside one run, interleaved). Node ${process.version}, redis-server ${redisVersion}.`,
)
p(
  `Versions: tokenward ${JSON.parse(readFileSync(`${root}package.json`, 'utf8')).version}, jose ${version('jose')}, fast-jwt ${version('fast-jwt')}, jsonwebtoken ${version('jsonwebtoken')}, express ${version('express')}, express-jwt ${version('express-jwt')}, fastify ${version('fastify')}, @fastify/jwt ${version('@fastify/jwt')}, hono ${version('hono')}, @hono/node-server ${version('@hono/node-server')}, redis ${version('redis')}, @node-rs/argon2 ${version('@node-rs/argon2')}, autocannon ${version('autocannon')}.`,
  '',
)
p('## Targets', '')
p('| target | measured | goal | |', '| --- | --- | --- | --- |')
for (const t of targets) p(`| ${t.what} | ${t.measured} | ${t.goal} | ${mark(t.ok)} |`)
p('')

p('## Verify throughput: distinct tokens, caches off', '')
p(
  `ops/s, median of ${micro.rounds} interleaved rounds of ${micro.roundMs} ms; the ratio is taken within each round, then the median. tokenward's \`verifyAccessToken\` includes the revocation check against \`memoryStore()\` on every call — what users get; the peers check signature and claims only. jsonwebtoken is given a \`KeyObject\` made once (its best case; with a string secret it is ~40× slower).`,
  '',
)
p('| alg | tokenward | fast-jwt | jose `jwtVerify` | jsonwebtoken | tokenward ÷ fast-jwt | target |')
p('| --- | --- | --- | --- | --- | --- | --- |', ...verifyRows, '')
p(
  `HS256 ceiling — a bare node:crypto HMAC check plus \`JSON.parse\`, no claim or revocation checks: ${k(hs.verify.ceiling)} ops/s. tokenward reaches ${x(hs.verify.tokenward / hs.verify.ceiling)} of it, fast-jwt ${x(hs.verify.fastjwt / hs.verify.ceiling)}, jose ${x(hs.verify.jose / hs.verify.ceiling)}.`,
  '',
)
p(
  'How: signatures are checked by `node:crypto` where the runtime has it (reached through `process.getBuiltinModule`, so the core still bundles for the edge; Web Crypto elsewhere — the differential test in `test/core/backend.test.ts` shows both accept and reject the same tokens), keys are imported once, the verify path is synchronous up to the one store call, and the decoded header of every verified token is reused (all tokens of one key share it).',
  '',
)
p('## Verify: the same token again (the normal case), caches on', '')
p('| alg | tokenward (cache) | fast-jwt (cache) | ratio | target |')
p('| --- | --- | --- | --- | --- |', ...sameRows, '')
p(
  "tokenward's cache is keyed by the whole token, never outlives `exp`, and the revocation check still runs on every hit (memory store here).",
  '',
)
p('## Signing', '')
p(
  '| alg | tokenward `issueTokens` (pairs/s, 2 signatures each) | jose `SignJWT` (tokens/s) | tokens/s ratio |',
)
p('| --- | --- | --- | --- |')
for (const r of micro.rows)
  p(`| ${r.alg} | ${k(r.sign.tokenwardPairs)} | ${k(r.sign.jose)} | ${x(r.signRatio)} |`)
p('')

p('## HTTP: GET /protected per framework', '')
p(
  `One server process per variant, loaded by autocannon from another process on 127.0.0.1 (${http.connections} connections; each server warmed up for 2 s, then ${http.rounds} interleaved rounds of ${http.seconds} s; medians, ratios taken within a round). Every variant answers the same small JSON body; every protected variant is sent the same valid HS256 access token, as a client reuses its token. "Server CPU per request" is the server process's user + system CPU time divided by the requests it answered — steadier than req/s when the load generator shares the machine.`,
  '',
)
p(...httpSections.flatMap((s) => [s, '']))

p('## Refresh rotation and the Redis round trip', '')
p(
  '| store | rotations/s, one family at a time | rotations/s, 32 families at once | `verifyAccessToken`, same token (median latency) |',
)
p('| --- | --- | --- | --- |')
p(
  `| memory | ${k(refresh.memory.sequential)} | ${k(refresh.memory.parallel)} | ${refresh.memory.verifyMicros.toFixed(1)} µs |`,
)
p(
  `| Redis (verdict cache on) | ${k(refresh.redis.sequential)} | ${k(refresh.redis.parallel)} | ${refresh.redis.verifyMicros.toFixed(1)} µs |`,
)
p(`| Redis, \`cache: false\` | | | ${refresh.redis.verifyMicrosNoCache.toFixed(1)} µs |`)
p('')
p(
  `Counted by the Redis server (INFO commandstats) over authenticated requests with the same token: with \`cache: false\`, **${perReq}** per request — one round trip; with the verdict cache (the default), **${cachedTrips}** once the token is known (the cache's heartbeat, one PING every 250 ms on its own connection, is not counted). Per rotation: ${Object.entries(
    refresh.redis.perRotation,
  )
    .map(([c, n]) => `${n} × ${c.toUpperCase()}`)
    .join(' + ')} (the revocation check of the refresh token, then its one-time \`SET NX\` spend).`,
  '',
)

p('## Revocation propagation between two instances', '')
const propRow = (name, r) =>
  `| ${name} | ${r.fromCall.p50.toFixed(2)} ms | ${r.fromCall.p99.toFixed(2)} ms | ${r.fromCall.max.toFixed(2)} ms | ${r.fromResolved.p50.toFixed(2)} ms | ${r.fromResolved.p99.toFixed(2)} ms |`
p(
  `Two instances on one Redis, each its own process: A revokes a token that B has just verified (and, with the verdict cache, holds as "not revoked"); B checks it again and again, yielding to I/O between checks, until it is rejected. ${propagation.revocations} revocations each; times on the machine's monotonic clock, which both processes share. "From revoke()" starts when A calls \`auth.revoke\`; "from its answer" when A's call has resolved (negative: B knew before A did).`,
  '',
)
p(
  '| B | from revoke(): p50 | p99 | max | from its answer: p50 | p99 |',
  '| --- | --- | --- | --- | --- | --- |',
  propRow('verdict cache on (B hears an invalidation)', propagation.cache),
  propRow('`cache: false` (B asks Redis every time)', propagation.noCache),
  '',
)

p(...postgresLines)

p('## Passwords (argon2id at the defaults)', '')
const o = password.options
p(
  `Defaults: memoryCost ${o.memoryCost} KiB, timeCost ${o.timeCost}, parallelism ${o.parallelism} (OWASP's second argon2id profile).`,
  '',
)
p(
  '| hash (median) | verify (median) | 8 hashes at once (wall) | event-loop delay while they run: p99 / max / mean |',
)
p('| --- | --- | --- | --- |')
p(
  `| ${ms(password.hashMs)} | ${ms(password.verifyMs)} | ${ms(password.eightConcurrentMs)} | ${ms(password.loopDelayP99Ms)} / ${ms(password.loopDelayMaxMs)} / ${ms(password.loopDelayMeanMs)} |`,
  '',
)
p(
  `\`import('tokenward/password')\` took ${ms(password.importMs)} and did ${password.loadedAfterImport ? '' : 'not '}load the native argon2 module; the first hash loads it (${ms(password.firstHashMs)} including the load).`,
  '',
)
p('### Login timing: unknown user vs wrong password', '')
p(
  '| unknown user (median) | wrong password (median) | difference | attempts each |',
  '| --- | --- | --- | --- |',
)
p(
  `| ${ms(timing.unknownMs)} | ${ms(timing.wrongMs)} | ${timing.diffPercent.toFixed(1)} % | ${timing.n} |`,
  '',
)
p(
  'Both paths run one argon2id verify (a dummy hash for unknown users), so timing does not tell which usernames exist.',
  '',
)

p('## Memory', '')
p('| what | entries | heap per entry | RSS per entry |', '| --- | --- | --- | --- |')
p(
  `| \`memoryStore()\` revocations (22-character ids, as tokenward's jti) | ${k(memStore.entries)} | ${memStore.heapBytesPerEntry.toFixed(0)} B | ${memStore.rssBytesPerEntry.toFixed(0)} B |`,
)
p(
  `| verified-token cache, full (${memCache.tokenLength}-character tokens; the token string is the key) | ${k(memCache.entries)} | ${memCache.heapBytesPerEntry.toFixed(0)} B | ${memCache.rssBytesPerEntry.toFixed(0)} B |`,
)
p(
  `| \`redisStore\` verdict cache: keys of ${k(memVerdicts.checks)} distinct checks (token id, family id, cutoff), with the key names kept for them | ${k(memVerdicts.entries)} | ${memVerdicts.heapBytesPerEntry.toFixed(0)} B | ${memVerdicts.rssBytesPerEntry.toFixed(0)} B |`,
  '',
)
p(
  `So the default bounds cost little: \`memoryStore()\` at its 100 000-entry bound ≈ ${((memStore.heapBytesPerEntry * 1e5) / 2 ** 20).toFixed(1)} MiB of heap, the cache at its 10 000-entry default ≈ ${((memCache.heapBytesPerEntry * 1e4) / 2 ** 20).toFixed(1)} MiB, the Redis verdict cache at its 50 000-key default ≈ ${((memVerdicts.heapBytesPerEntry * 5e4) / 2 ** 20).toFixed(1)} MiB.`,
  '',
)
p(
  `Soak: ${soak.seconds} s of authenticated requests against Fastify + tokenward, each with one of ${k(soak.distinctTokens)} distinct tokens (5× the cache, so every request misses it and evicts): ${k(soak.requests)} requests. Server heap after a full GC:`,
  '',
)
p(`| t (s) | ${soak.samples.map((s) => s.at).join(' | ')} |`)
p(`| --- | ${soak.samples.map(() => '---').join(' | ')} |`)
p(`| heap (MiB) | ${soak.samples.map((s) => (s.heapUsed / 2 ** 20).toFixed(1)).join(' | ')} |`, '')
p(
  `Growth from the first sample under load to the last: ${(soak.growthBytes / 2 ** 10).toFixed(0)} KiB (${soak.growthPercent.toFixed(1)} %).`,
  '',
)

p('## Import cost and bundle size', '')
p(`Cold \`await import(x)\` in a fresh Node process, median of ${imports.runs} alternating runs:`, '')
p('| import | ms |', '| --- | --- |')
for (const [spec, t] of Object.entries(imports.ms)) p(`| \`${spec}\` | ${t.toFixed(1)} |`)
p('', `tokenward ÷ jose, run by run: ${x(imports.ratio)} (tokenward includes jose).`, '')
p(
  `The whole core (\`tokenward\`, every export, with the jose code it uses) bundled for a neutral platform, minified + gzipped: **${(sizes.core / 1024).toFixed(1)} KiB**; all of jose alone: ${(sizes.jose / 1024).toFixed(1)} KiB. CI's budget (test/edge/edge.test.ts): 22.7 KB.`,
  '',
)

p('## Where a target is missed, and what it would take', '')
p(readFileSync(`${root}test/bench/misses.md`, 'utf8').trim(), '')
p('## Reproduce', '')
p(
  '```sh\nnpm ci\nnpm run bench            # about 10 minutes on 2 cores; rewrites this file\nBENCH_QUICK=1 npm run bench   # a one-minute smoke run\n```',
  '',
  'Needs `redis-server` on PATH and the PostgreSQL binaries (Debian: `apt-get install redis-server postgresql`); each script in test/bench/ also runs on its own and prints JSON.',
)

writeFileSync(`${root}docs/benchmarks.md`, `${lines.join('\n')}\n`)
console.log(lines.join('\n'))
