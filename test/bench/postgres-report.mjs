// The PostgreSQL section of docs/benchmarks.md, from what postgres.mjs prints: run.mjs calls
// `postgresReport(result, target)` (its targets join the table at the top), and
// `node test/bench/postgres-report.mjs result.json` prints the targets and the section alone.
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

const k = (n) => (n >= 1e6 ? `${(n / 1e6).toFixed(2)}M` : `${(n / 1000).toFixed(1)}k`)
const x = (n) => `${n.toFixed(2)}×`
const name = (framework) => `${framework[0].toUpperCase()}${framework.slice(1)}`
const trips = (n) => (Number.isInteger(n) ? String(n) : n.toFixed(2))

/**
 * The targets (through `target(what, measured, goal, ok)`) and the lines of the section.
 * @returns {string[]}
 */
export function postgresReport(pg, target) {
  const lines = []
  const p = (...ls) => lines.push(...ls)
  for (const row of pg.http.results)
    target(
      `HTTP ${row.framework}: tokenward with the PostgreSQL store (verdict cache on) ÷ unprotected`,
      x(row.pg.ratio),
      '≥ 0.85×',
      row.pg.ratio >= 0.85,
    )
  const kinds = Object.keys(pg.trips)
  const per = (mode) => kinds.map((kind) => `${trips(pg.trips[kind][mode].perCall)} (${kind})`).join(', ')
  target(
    'PostgreSQL, `cache: false`: statements per authenticated request (counted by the server)',
    per('noCache'),
    'exactly 1',
    kinds.every((kind) => pg.trips[kind].noCache.perCall === 1),
  )
  target(
    'PostgreSQL, verdict cache on: statements per request for a known token',
    per('cache'),
    '0',
    kinds.every((kind) => pg.trips[kind].cache.perCall === 0),
  )
  const prop = pg.propagation.cache.fromCall
  target(
    'PostgreSQL: revocation on instance A → refused by instance B (verdict cache on), p99',
    `${prop.p99.toFixed(1)} ms`,
    '≤ 20 ms',
    prop.p99 <= 20,
  )

  p('## PostgreSQL (`tokenward/postgres`)', '')
  p(
    `test/bench/postgres.mjs, on a PostgreSQL ${pg.server} started for the run on 127.0.0.1 (fsync and synchronous_commit off: a throw-away server, as the Redis runs use a redis-server without persistence), through a \`pg\` Pool of 10 connections unless noted. The machine is shared: the numbers move by 10–20 % between runs, and the HTTP ratios more, since autocannon, the server and PostgreSQL share two cores.`,
    '',
  )
  p('### HTTP: GET /protected', '')
  p(
    `As in "HTTP: GET /protected per framework" (${pg.http.connections} connections, ${pg.http.rounds} interleaved rounds of ${pg.http.seconds} s, medians), each framework's unprotected route beside tokenward's middleware with \`memoryStore()\` and with \`postgresStore\`. With the verdict cache a known token is answered in the process, as \`memoryStore()\` answers it: those two rows differ by the machine's noise, and where both miss 0.85× the cost is the framework's middleware, not the store.`,
    '',
  )
  p(
    '| framework | route | req/s | p99 latency | server CPU per request | req/s ÷ unprotected | CPU: unprotected ÷ this |',
  )
  p('| --- | --- | --- | --- | --- | --- | --- |')
  const label = {
    open: 'unprotected',
    memory: 'memoryStore() (the in-process reference)',
    pg: 'postgresStore, verdict cache on (the default)',
    'pg-nocache': 'postgresStore, `cache: false`',
  }
  for (const row of pg.http.results)
    for (const mode of ['open', 'memory', 'pg', 'pg-nocache']) {
      const r = row[mode]
      if (r === undefined) continue
      p(
        `| ${name(row.framework)} | ${label[mode]} | ${k(r.rps)} | ${r.p99} ms | ${r.cpuMicros.toFixed(1)} µs | ${r.ratio === undefined ? '—' : x(r.ratio)} | ${r.cpuRatio === undefined ? '—' : x(r.cpuRatio)} |`,
      )
    }
  p('')
  p('### Statements per request, counted by the server', '')
  p(
    "Calls of the store's statements in `pg_stat_statements` (`track = top`: what clients send) over authenticated requests with one token, divided by the requests. The verdict cache's heartbeat (a `pg_notify` every 250 ms on its own connection, not per request) is not counted.",
    '',
  )
  p(
    '| client | `cache: false` | verdict cache on, known token | `verifyAccessToken` median, `cache: false` | cache on |',
  )
  p('| --- | --- | --- | --- | --- |')
  for (const kind of kinds) {
    const t = pg.trips[kind]
    p(
      `| ${kind} | ${trips(t.noCache.perCall)} | ${trips(t.cache.perCall)} | ${t.verifyMicros.noCache.toFixed(1)} µs | ${t.verifyMicros.cache.toFixed(1)} µs |`,
    )
  }
  const first = pg.trips[kinds[0]].noCache.statements[0]
  if (first)
    p('', `The one statement: \`${first.query}…\` (token id, family id and cutoff, one \`UNION ALL\`).`)
  p('')
  p('### Revocation propagation between two instances', '')
  p(
    `As in "Revocation propagation between two instances", on PostgreSQL: instance A (a child process) revokes a token instance B has just verified; B checks again and again until it refuses it. ${pg.propagation.revocations} revocations each.`,
    '',
  )
  p(
    '| B | from revoke(): p50 | p99 | max | from its answer: p50 | p99 |',
    '| --- | --- | --- | --- | --- | --- |',
  )
  const propRow = (what, r) =>
    `| ${what} | ${r.fromCall.p50.toFixed(2)} ms | ${r.fromCall.p99.toFixed(2)} ms | ${r.fromCall.max.toFixed(2)} ms | ${r.fromResolved.p50.toFixed(2)} ms | ${r.fromResolved.p99.toFixed(2)} ms |`
  p(propRow('verdict cache on (B hears a NOTIFY)', pg.propagation.cache))
  p(propRow('`cache: false` (B asks PostgreSQL every time)', pg.propagation.noCache), '')
  p('### Refresh rotations', '')
  const rot = pg.rotations
  p(
    `| one family at a time | 32 families at once | statements per rotation |`,
    '| --- | --- | --- |',
    `| ${k(rot.sequential)}/s | ${k(rot.parallel)}/s | ${trips(rot.perRotation.perCall)} (${rot.perRotation.statements.map((s) => `${s.calls / 100} × \`${s.query.slice(0, 30)}…\``).join(' + ')}) |`,
    '',
  )
  return lines
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const result = JSON.parse(readFileSync(process.argv[2], 'utf8'))
  const rows = []
  const lines = postgresReport(result, (what, measured, goal, ok) => {
    rows.push(`| ${what} | ${measured} | ${goal} | ${ok ? '✅' : '❌'} |`)
  })
  console.log(rows.join('\n'))
  console.log('')
  console.log(lines.join('\n'))
}
