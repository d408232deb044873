// Throw-away PostgreSQL servers for the tests, from the Debian binaries (apt-get install postgresql):
// `initdb` into a temp dir, then `postgres -D …` on a free 127.0.0.1 port, trust authentication, no
// fsync. initdb and postgres refuse to run as root, so as root both run as the `postgres` user
// (spawned with its uid and gid: the pid we hold is the postmaster's own). A cluster is initialised
// once per process and copied for every further server (a copy takes ~0.1 s, initdb ~0.5 s).
import { type ChildProcess, execFileSync, spawn } from 'node:child_process'
import {
  chmodSync,
  chownSync,
  cpSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  renameSync,
  rmSync,
} from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { freePort } from './redis.js'

/** The directory of `initdb` and `postgres`: the newest /usr/lib/postgresql/N/bin, else PATH. */
export function postgresBinDir(): string | null {
  const root = '/usr/lib/postgresql'
  if (existsSync(root)) {
    const versions = readdirSync(root)
      .filter((v) => existsSync(join(root, v, 'bin', 'postgres')))
      .sort((a, b) => Number(b) - Number(a))
    if (versions[0]) return join(root, versions[0], 'bin')
  }
  try {
    const found = execFileSync('sh', ['-c', 'command -v postgres'], { encoding: 'utf8' }).trim()
    return found ? join(found, '..') : null
  } catch {
    return null
  }
}

/** The uid and gid to run the server as: the `postgres` user when we are root, else ourselves. */
function serverUser(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined
  const id = (flag: string) => Number(execFileSync('id', [flag, 'postgres'], { encoding: 'utf8' }).trim())
  return { uid: id('-u'), gid: id('-g') }
}

/**
 * An initialised, never started data directory, made once per machine and PostgreSQL version and
 * kept in the temp dir as a cache (initdb takes ~0.5 s, a copy ~0.1 s). Made under a temporary
 * name and renamed into place, so concurrent test processes never see half of one.
 */
function templateDir(bin: string): string {
  const user = serverUser()
  const dir = join(
    tmpdir(),
    `tokenward-pg-template-${bin.replace(/\W+/g, '_')}-${user?.uid ?? process.getuid?.()}`,
  )
  if (existsSync(join(dir, 'PG_VERSION'))) return dir
  const base = mkdtempSync(join(tmpdir(), 'tokenward-pg-initdb-'))
  if (user) chownSync(base, user.uid, user.gid)
  const made = join(base, 'data')
  execFileSync(
    join(bin, 'initdb'),
    ['-D', made, '-A', 'trust', '-U', 'postgres', '--no-sync', '-E', 'UTF8', '--locale=C'],
    { stdio: ['ignore', 'pipe', 'pipe'], ...(user ?? {}) },
  )
  try {
    renameSync(made, dir)
  } catch {
    // Another process made it first: use theirs.
  }
  rmSync(base, { recursive: true, force: true })
  return dir
}

/**
 * A watchdog beside each server: when the test process that started it is gone (a worker killed
 * after a timeout, a crash) it stops the server and removes its directory, so no server outlives
 * its run. It exits by itself once the server has stopped (a kill before a restart included).
 */
function watch(serverPid: number, base: string) {
  const parent = process.pid
  const script =
    `while kill -0 ${parent} 2>/dev/null && kill -0 ${serverPid} 2>/dev/null; do sleep 1; done; ` +
    `if ! kill -0 ${parent} 2>/dev/null; then kill -QUIT ${serverPid} 2>/dev/null; sleep 2; rm -rf '${base}'; fi`
  spawn('sh', ['-c', script], { stdio: 'ignore', detached: true }).unref()
}

/** A running PostgreSQL started by {@link startPostgres}. */
export interface PostgresServer {
  /** `postgres://postgres@127.0.0.1:PORT/postgres` (trust authentication). */
  url: string
  port: number
  /** The data directory (removed by {@link PostgresServer.stop}). */
  dir: string
  /** Immediate shutdown (SIGQUIT: no checkpoint, backends killed — a crash, as far as clients can tell). */
  kill: () => Promise<void>
  /** Starts the server again on the same port and data directory (after {@link PostgresServer.kill}). */
  start: () => Promise<void>
  /** Kills the server and removes its data directory. */
  stop: () => Promise<void>
  /** Runs one SQL command through psql as the superuser; its output, unaligned. */
  psql: (command: string) => string
}

/** Options of {@link startPostgres}. */
export interface StartPostgresOptions {
  /** Extra settings, `-c name=value` each (they override the defaults). */
  config?: Record<string, string>
  /** Start a hot standby of this server instead (pg_basebackup -R: read-only, streaming from it). */
  standbyOf?: PostgresServer
}

/**
 * Starts a throw-away PostgreSQL on 127.0.0.1 (trust authentication, fsync off,
 * `pg_stat_statements` preloaded) and waits until it accepts connections.
 */
export async function startPostgres(options: StartPostgresOptions = {}): Promise<PostgresServer> {
  const bin = postgresBinDir()
  if (!bin) throw new Error('PostgreSQL is not installed (apt-get install postgresql)')
  const user = serverUser()
  const base = mkdtempSync(join(tmpdir(), 'tokenward-pg-'))
  if (user) chownSync(base, user.uid, user.gid)
  const dir = join(base, 'data')
  if (options.standbyOf)
    execFileSync(
      join(bin, 'pg_basebackup'),
      [
        '-D',
        dir,
        '-R',
        '-X',
        'stream',
        '--checkpoint=fast',
        '-h',
        '127.0.0.1',
        '-p',
        String(options.standbyOf.port),
        '-U',
        'postgres',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'], ...(user ?? {}) },
    )
  else {
    cpSync(templateDir(bin), dir, { recursive: true })
    // PostgreSQL refuses a data directory open to others; cpSync keeps the template's 0700 on
    // Node 20 and 24 but not on every Node 22 release (22.23 creates it 0755 under umask 022).
    chmodSync(dir, 0o700)
    if (user) execFileSync('chown', ['-R', `${user.uid}:${user.gid}`, dir])
  }
  const port = await freePort()
  const settings: Record<string, string> = {
    listen_addresses: '127.0.0.1',
    unix_socket_directories: base,
    fsync: 'off',
    synchronous_commit: 'off',
    full_page_writes: 'off',
    shared_buffers: '32MB',
    max_connections: '200',
    shared_preload_libraries: 'pg_stat_statements',
    'pg_stat_statements.track': 'all',
    ...options.config,
  }
  const args = [
    '-D',
    dir,
    '-p',
    String(port),
    ...Object.entries(settings).flatMap(([k, v]) => ['-c', `${k}=${v}`]),
  ]
  let child: ChildProcess | undefined

  const start = async () => {
    const proc = spawn(join(bin, 'postgres'), args, { stdio: ['ignore', 'pipe', 'pipe'], ...(user ?? {}) })
    child = proc
    if (proc.pid !== undefined) watch(proc.pid, base)
    await new Promise<void>((resolve, reject) => {
      let out = ''
      const timer = setTimeout(() => reject(new Error(`postgres did not start:\n${out}`)), 30_000)
      const onExit = (code: number | null) => {
        clearTimeout(timer)
        reject(new Error(`postgres exited ${code}:\n${out}`))
      }
      proc.once('exit', onExit)
      const read = (chunk: Buffer) => {
        out += chunk.toString()
        if (/database system is ready to accept (read-only )?connections/.test(out)) {
          clearTimeout(timer)
          proc.off('exit', onExit)
          // Keep draining the log (a full pipe would block the server), without keeping it.
          for (const stream of [proc.stdout!, proc.stderr!]) {
            stream.off('data', read)
            stream.resume()
          }
          resolve()
        }
      }
      proc.stdout!.on('data', read)
      proc.stderr!.on('data', read)
    })
  }
  const kill = () =>
    new Promise<void>((resolve) => {
      const proc = child
      if (!proc || proc.exitCode !== null || proc.signalCode !== null) return resolve()
      proc.once('exit', () => resolve())
      proc.kill('SIGQUIT')
    })

  await start()
  const psql = (command: string) =>
    execFileSync(
      join(bin, 'psql'),
      ['-h', '127.0.0.1', '-p', String(port), '-U', 'postgres', '-qAtc', command],
      {
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    )
  // Statements counted by the server (the tests and the benchmark read pg_stat_statements); a
  // standby has it from its primary.
  if (!options.standbyOf) psql('CREATE EXTENSION IF NOT EXISTS pg_stat_statements')
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    port,
    dir,
    kill,
    start,
    stop: async () => {
      await kill()
      rmSync(base, { recursive: true, force: true })
    },
    psql,
  }
}
