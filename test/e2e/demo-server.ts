import { type ChildProcess, spawn } from 'node:child_process'
import { once } from 'node:events'

/** A demo process started for a test: its URL and a stop function. */
export interface RunningDemo {
  url: string
  output: () => string
  stop: () => Promise<void>
}

/**
 * Starts the demo (`npm start`, or `node server.mjs` directly) on a free 127.0.0.1 port and waits
 * for the line that prints its URL.
 */
export async function startDemo(
  options: { viaNpm?: boolean; env?: Record<string, string> } = {},
): Promise<RunningDemo> {
  const env = { ...process.env, PORT: '0', HOST: '127.0.0.1', DEMO_QUIET: '1', ...options.env }
  const child: ChildProcess = options.viaNpm
    ? spawn('npm', ['start', '--silent'], { env, stdio: ['ignore', 'pipe', 'pipe'], detached: true })
    : spawn(process.execPath, ['docs/examples/demo/server.mjs'], {
        env,
        stdio: ['ignore', 'pipe', 'pipe'],
        detached: true,
      })
  let output = ''
  // Stops the whole process group (`npm start` runs node as a child). Also when the test process
  // ends first (a test timed out before the demo printed its URL): nothing is left running.
  const kill = (signal: NodeJS.Signals) => {
    try {
      process.kill(-child.pid!, signal)
    } catch {
      child.kill(signal)
    }
  }
  const killOnExit = () => kill('SIGKILL')
  process.once('exit', killOnExit)
  child.once('exit', () => process.removeListener('exit', killOnExit))
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => {
      kill('SIGKILL')
      reject(new Error(`demo did not start in 60 s:\n${output}`))
    }, 60_000)
    const onData = (chunk: Buffer) => {
      output += chunk.toString()
      const match = /tokenward demo on (http:\/\/127\.0\.0\.1:\d+)/.exec(output)
      if (match) {
        clearTimeout(timer)
        resolve(match[1]!)
      }
    }
    child.stdout!.on('data', onData)
    child.stderr!.on('data', (chunk: Buffer) => {
      output += chunk.toString()
    })
    child.once('exit', (code) => {
      clearTimeout(timer)
      reject(new Error(`demo exited with ${code}:\n${output}`))
    })
  })
  return {
    url,
    output: () => output,
    stop: async () => {
      if (child.exitCode !== null) return
      kill('SIGTERM')
      await Promise.race([once(child, 'exit'), new Promise((r) => setTimeout(r, 5000))])
      if (child.exitCode === null) kill('SIGKILL')
    },
  }
}
