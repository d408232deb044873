// Throw-away redis-server processes for the tests: bound to 127.0.0.1, free ports, no persistence
// unless a test asks for it, killed by whoever started them.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process'
import { createServer } from 'node:net'

/** A free TCP port on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number }
      server.close(() => resolve(port))
    })
  })
}

function which(name: string): string | null {
  try {
    return execFileSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' }).trim() || null
  } catch {
    return null
  }
}

export function redisServerBin(): string | null {
  return which('redis-server')
}

/** `redis-cli` comes with Debian's redis-server package (redis-tools); the cluster setup needs it. */
export function redisCliBin(): string | null {
  return which('redis-cli')
}

/** A running redis-server started by {@link startRedis}. */
export interface RedisServer {
  url: string
  host: string
  port: number
  /** SIGKILL, then wait for the exit: a crash, as far as clients can tell. */
  stop: () => Promise<void>
}

/** Options of {@link startRedis}. */
export interface StartRedisOptions {
  /** Default: a free port. */
  port?: number
  /**
   * Extra configuration directives, `--name value` on the command line; they replace the defaults
   * (`save ''`, `appendonly no`). A value that is an array gives the directive several arguments.
   */
  config?: Record<string, string | readonly string[]>
}

/** Starts a throw-away redis-server on 127.0.0.1 (no persistence by default) and waits until it listens. */
export async function startRedis(options: number | StartRedisOptions = {}): Promise<RedisServer> {
  const opts = typeof options === 'number' ? { port: options } : options
  const bin = redisServerBin()
  if (!bin) throw new Error('redis-server is not on PATH (apt-get install redis-server)')
  const port = opts.port ?? (await freePort())
  const config: Record<string, string | readonly string[]> = {
    port: String(port),
    bind: '127.0.0.1',
    save: '',
    appendonly: 'no',
    ...opts.config,
  }
  const args = Object.entries(config).flatMap(([name, value]) => [
    `--${name}`,
    ...(typeof value === 'string' ? [value] : value),
  ])
  const child: ChildProcess = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'] })
  await new Promise<void>((resolve, reject) => {
    let out = ''
    const timer = setTimeout(() => reject(new Error(`redis-server did not start:\n${out}`)), 10_000)
    const onExit = (code: number | null) => {
      clearTimeout(timer)
      reject(new Error(`redis-server exited ${code}:\n${out}`))
    }
    child.once('exit', onExit)
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString()
      if (out.includes('Ready to accept connections')) {
        clearTimeout(timer)
        child.off('exit', onExit)
        // Keep draining the log, or a chatty server would block on a full pipe.
        child.stdout!.resume()
        resolve()
      }
    })
    child.stderr!.on('data', (chunk: Buffer) => {
      out += chunk.toString()
    })
  })
  return {
    url: `redis://127.0.0.1:${port}`,
    host: '127.0.0.1',
    port,
    stop: () =>
      new Promise((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve()
        child.once('exit', () => resolve())
        child.kill('SIGKILL')
      }),
  }
}
