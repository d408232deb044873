// Runs every ts/js block of README.md and docs/*.md the way a reader runs it: pasted into a file of
// a NEW project that installed the PACKED package, never this repository's sources.
//
// How:
// - `npm pack` of this repo, once per run, into a temp dir. When dist/ is older than src/, the
//   package is built (`npx tsup --out-dir`) and packed in a staging dir instead: the shared dist/
//   other test files read is never rebuilt under them.
// - Two consumer projects under the OS temp dir, each installed once per run and shared by all
//   its blocks:
//     esm       `npm init -y && npm pkg set type=module`
//     commonjs  `npm init -y` (npm 11 writes "type": "commonjs"), then the ONE setup line the docs
//               give (SETUP_LINE, in the README quick start and docs/getting-started.md). A probe
//               first shows why it is needed: without it Node refuses the blocks' `import`s.
// - Installs: `npm install <tarball>` fetches tokenward's own dependencies (jose, @node-rs/argon2
//   with its prebuilt binary) from the registry (or npm's cache), which is what proves the
//   package.json right. The peer packages the blocks import (express, fastify, hono, redis,
//   ioredis, @hono/node-server, zod …) are SYMLINKED from this repo's node_modules instead: no
//   network, no time, and the versions the rest of the suite tests.
// - TypeScript: the docs tell readers `npx tsx file.ts`. tsx is esbuild stripping types and
//   keeping the module format, so the test does exactly that with this repo's esbuild (no tsx
//   install): the block becomes `<name>.js` beside package.json, run by `node`, whose module
//   format follows the project's "type", as under tsx.
// - Each block runs in its own process, with a timeout, a few at a time. `REDIS_URL` points at the
//   suite's redis-server and `DATABASE_URL` at its PostgreSQL (test/setup/global.ts). A line appended to the block reports that it ran
//   to its end; a block that listens (test/docs/listen-shim.mjs moves it to a free port) is then
//   hit once — GET on its first route, any answer below 500 — and killed, as is a block whose
//   open Redis or PostgreSQL connection would keep it alive.
// - Blocks marked `<!-- runs-on: bun -->` or `deno` run as pasted (TypeScript, no transform) on that
//   runtime, in the same project, with test/docs/serve-shim.mjs preloaded to move their
//   `Bun.serve` / `Deno.serve` to a free port; they report on stdout instead of IPC. Blocks marked
//   `runs-on: workerd` are bundled as a Workers build bundles them (esbuild, conditions workerd,
//   worker, browser), started as a plain module Worker in workerd (miniflare) and sent one GET.
// - Blocks marked `<!-- not-runnable: why -->` or `<!-- docs-check: skip: why -->` are not run;
//   the test prints how many ran and which were marked, and why.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process'
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs'
import { availableParallelism, tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { build, transform } from 'esbuild'
import { Miniflare } from 'miniflare'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { blockName, type DocBlock, docBlocks, root } from './blocks.js'

/** The one line the docs tell readers to run in a new project (top-level await needs ES modules). */
const SETUP_LINE = 'npm pkg set type=module'

const BLOCK_TIMEOUT_MS = 30_000
const POOL = Math.min(4, Math.max(2, availableParallelism()))
const DONE = 'process.send?.({ docsBlock: "done" })'
const shim = pathToFileURL(join(import.meta.dirname, 'listen-shim.mjs')).href
/** Bun and Deno blocks: the end, and serve-shim.mjs's signals, come as these stdout lines. */
const DONE_LINE = "console.log('docs-block:done')"
const SIGNAL = /^docs-block:(done|listen|listening):?(\d*)$/
const serveShim = join(import.meta.dirname, 'serve-shim.mjs')
const bin = (name: string) => join(root, 'node_modules', '.bin', name)
/** How a Bun or Deno block is started (Deno: the project's node_modules, never the network; -A for argon2's FFI). */
const COMMANDS = {
  bun: (file: string) => [bin('bun'), '--preload', serveShim, file],
  deno: (file: string) => [
    bin('deno'),
    'run',
    '-A',
    '--node-modules-dir=manual',
    '--cached-only',
    '--preload',
    serveShim,
    file,
  ],
}

const blocks = docBlocks()
const runnable = blocks.filter((b) => !b.fragment && !b.notRunnable)
const redisUrl = inject('redisUrl')
const postgresUrl = inject('postgresUrl')

let work = ''
let tarball = ''
const projects: Record<'esm' | 'commonjs', string> = { esm: '', commonjs: '' }

function sh(command: string, cwd: string): string {
  return execFileSync('sh', ['-c', command], { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] })
}

/** Bare package names a block imports: `tokenward/express` → tokenward, `@hono/node-server/x` → @hono/node-server. */
function importedPackages(code: string): string[] {
  const names = new Set<string>()
  for (const m of code.matchAll(/(?:from\s+|import\s*\(\s*|import\s+)['"]([^'".][^'"]*)['"]/g)) {
    const spec = m[1]!
    if (spec.startsWith('node:')) continue
    const parts = spec.split('/')
    names.add(spec.startsWith('@') ? `${parts[0]}/${parts[1]}` : parts[0]!)
  }
  return [...names]
}

async function newProject(kind: 'esm' | 'commonjs'): Promise<string> {
  const dir = join(work, kind)
  mkdirSync(dir)
  sh('npm init -y', dir)
  if (kind === 'esm') sh('npm pkg set type=module', dir)
  // `npm install` of the tarball, as a reader's `npm install tokenward` (deps from the registry).
  await new Promise<void>((resolve, reject) => {
    const child = spawn(
      'npm',
      ['install', '--no-save', '--no-audit', '--no-fund', '--prefer-offline', '--loglevel=error', tarball],
      { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] },
    )
    let out = ''
    child.stdout!.on('data', (c: Buffer) => {
      out += c
    })
    child.stderr!.on('data', (c: Buffer) => {
      out += c
    })
    child.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`npm install failed:\n${out}`))))
  })
  // The peers the blocks import, from this repo's node_modules (see the header).
  const peers = new Set(runnable.flatMap((b) => importedPackages(b.code)))
  for (const name of peers) {
    if (name === 'tokenward' || existsSync(join(dir, 'node_modules', name))) continue
    const source = join(root, 'node_modules', name)
    if (!existsSync(source)) throw new Error(`a docs block imports ${name}, which this repo does not install`)
    mkdirSync(dirname(join(dir, 'node_modules', name)), { recursive: true })
    symlinkSync(source, join(dir, 'node_modules', name), 'dir')
  }
  return dir
}

/** Newest mtime under `dir`. */
function newest(dir: string): number {
  return readdirSync(dir, { withFileTypes: true }).reduce((max, entry) => {
    const path = join(dir, entry.name)
    return Math.max(max, entry.isDirectory() ? newest(path) : statSync(path).mtimeMs)
  }, 0)
}

/** The directory to pack: this repo when dist/ is up to date, else a staging copy built privately. */
function packageDir(): string {
  const built = join(root, 'dist', 'index.js')
  if (existsSync(built) && statSync(built).mtimeMs >= newest(join(root, 'src'))) return root
  const stage = join(work, 'package')
  console.log('dist/ is older than src/: packing a private build (dist/ stays as it is)')
  mkdirSync(join(stage, 'docs'), { recursive: true })
  execFileSync(
    process.execPath,
    [join(root, 'node_modules/tsup/dist/cli-default.js'), '--silent', '--out-dir', join(stage, 'dist')],
    {
      cwd: root,
      stdio: 'inherit',
    },
  )
  for (const file of ['package.json', 'README.md', 'CHANGELOG.md', 'LICENSE'])
    cpSync(join(root, file), join(stage, file))
  for (const file of readdirSync(join(root, 'docs')).filter((f) => f.endsWith('.md')))
    cpSync(join(root, 'docs', file), join(stage, 'docs', file))
  return stage
}

interface Outcome {
  block: DocBlock
  ok: boolean
  /** What happened, for the report: `exit 0`, `GET /admin → 401`, or why it failed. */
  detail: string
}

async function jsOf(block: DocBlock): Promise<string> {
  if (block.lang === 'js') return block.code
  // What tsx does: strip the types, keep the ES module syntax (the project's "type" decides).
  const { code } = await transform(block.code, {
    loader: 'ts',
    target: 'node20',
    sourcefile: blockName(block),
  })
  return code
}

/** The path a block's server is hit on: its first `.get('/x')` route or `pathname === '/x'`, else `/`. */
function firstPath(code: string): string {
  return (
    /\.get\(\s*['"](\/[^'":*]*)['"]/.exec(code)?.[1] ??
    /pathname === ['"](\/[^'"]*)['"]/.exec(code)?.[1] ??
    '/'
  )
}

/** A `runs-on: workerd` block: bundled from the project as a Workers build does, then one GET in workerd. */
async function runInWorkerd(block: DocBlock, dir: string): Promise<Outcome> {
  const file = join(dir, `${block.file.replace(/[/.]/g, '_')}_${block.index}.worker.js`)
  try {
    await build({
      stdin: { contents: block.code, resolveDir: dir, loader: block.lang, sourcefile: blockName(block) },
      bundle: true,
      format: 'esm',
      platform: 'neutral',
      conditions: ['workerd', 'worker', 'browser', 'import'],
      mainFields: ['module', 'main'],
      external: ['cloudflare:*'],
      outfile: file,
      logLevel: 'silent',
    })
  } catch (err) {
    return { block, ok: false, detail: `does not bundle for Workers: ${(err as Error).message}` }
  }
  const path = firstPath(block.code)
  const mf = new Miniflare({
    scriptPath: file,
    modules: true,
    modulesRoot: dir,
    compatibilityDate: '2026-04-01',
  })
  try {
    const res = await mf.dispatchFetch(`http://localhost${path}`)
    await res.arrayBuffer()
    const detail = `workerd, GET ${path} → ${res.status}`
    return { block, ok: res.status < 500, detail }
  } catch (err) {
    return { block, ok: false, detail: `workerd did not start it: ${(err as Error).message}` }
  } finally {
    await mf.dispose().catch(() => {})
  }
}

/** Runs one block in `dir`; resolves with its outcome, never rejects. */
async function runBlock(block: DocBlock, dir: string): Promise<Outcome> {
  if (block.runtime === 'workerd') return runInWorkerd(block, dir)
  const onNode = block.runtime === 'node'
  // Bun and Deno run the TypeScript as pasted; Node runs what tsx makes of it.
  const file = `${block.file.replace(/[/.]/g, '_')}_${block.index}.${onNode ? 'js' : block.lang}`
  try {
    writeFileSync(
      join(dir, file),
      onNode ? `${await jsOf(block)}\n;${DONE}\n` : `${block.code}\n;${DONE_LINE}\n`,
    )
  } catch (err) {
    return { block, ok: false, detail: `does not compile: ${(err as Error).message}` }
  }
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: process.env.HOME, TMPDIR: tmpdir() }
  if (redisUrl) env.REDIS_URL = redisUrl
  if (postgresUrl) env.DATABASE_URL = postgresUrl
  let child: ChildProcess
  if (block.runtime === 'node') {
    child = spawn(process.execPath, ['--import', shim, file], {
      cwd: dir,
      env,
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    })
  } else {
    const [command, ...args] = COMMANDS[block.runtime](file)
    child = spawn(command!, args, {
      cwd: dir,
      env: { ...env, NO_COLOR: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
  }
  let output = ''
  let pending = ''
  child.stdout!.on('data', (c: Buffer) => {
    output += c
    if (onNode) return
    pending += c
    const lines = pending.split('\n')
    pending = lines.pop()!
    for (const line of lines) {
      const signal = SIGNAL.exec(line.trim())
      if (signal) onSignal({ docsBlock: signal[1], port: Number(signal[2]) || undefined })
    }
  })
  child.stderr!.on('data', (c: Buffer) => {
    output += c
  })
  const tail = () => `\n--- output of ${file} ---\n${output.trim().split('\n').slice(-25).join('\n')}`
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)))
  const kill = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
    await exited
  }

  let done = false
  let listenCalled = false
  const ports: number[] = []
  let listening: () => void = () => {}
  const firstListening = new Promise<void>((resolve) => {
    listening = resolve
  })
  let reachedEnd: () => void = () => {}
  const end = new Promise<void>((resolve) => {
    reachedEnd = resolve
  })
  function onSignal(m: { docsBlock?: string; port?: number | undefined }) {
    if (m.docsBlock === 'done') {
      done = true
      reachedEnd()
    } else if (m.docsBlock === 'listen') listenCalled = true
    else if (m.docsBlock === 'listening' && m.port) {
      ports.push(m.port)
      listening()
    }
  }
  child.on('message', onSignal)
  const timeout = (ms: number) => new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), ms).unref())

  const first = await Promise.race([end.then(() => 'end' as const), exited, timeout(BLOCK_TIMEOUT_MS)])
  if (first === 'timeout') {
    await kill()
    return {
      block,
      ok: false,
      detail: `timed out after ${BLOCK_TIMEOUT_MS} ms before reaching its end${tail()}`,
    }
  }
  if (first !== 'end') {
    // Exited before the end: a throw, or an unhandled rejection. (`done` may have raced the exit.)
    if (!done || first !== 0) return { block, ok: false, detail: `exit ${first}${tail()}` }
    return { block, ok: true, detail: 'exit 0' }
  }
  // Reached its end: give late failures (a rejected promise nobody awaited) a moment to surface.
  const settled = await Promise.race([exited, timeout(300)])
  if (settled !== 'timeout') {
    return settled === 0
      ? { block, ok: true, detail: 'exit 0' }
      : { block, ok: false, detail: `exit ${settled} after its end${tail()}` }
  }
  if (listenCalled) {
    if ((await Promise.race([firstListening, timeout(10_000)])) === 'timeout') {
      await kill()
      return { block, ok: false, detail: `called listen() but never listened${tail()}` }
    }
    const path = firstPath(block.code)
    let detail: string
    let ok: boolean
    try {
      const res = await fetch(`http://127.0.0.1:${ports[0]}${path}`, { signal: AbortSignal.timeout(10_000) })
      await res.arrayBuffer()
      ok = res.status < 500
      detail = `${onNode ? '' : `${block.runtime}, `}listened, GET ${path} → ${res.status}`
    } catch (err) {
      ok = false
      detail = `listened, GET ${path} failed: ${(err as Error).message}`
    }
    await kill()
    return { block, ok, detail: ok ? detail : `${detail}${tail()}` }
  }
  // Still alive with nothing to serve: an open connection (a Redis client) holds it. It ran.
  await kill()
  return { block, ok: true, detail: 'ran to its end (killed: open handles)' }
}

/** Runs `items` through `fn`, `size` at a time, keeping the order of the results. */
async function pool<T, R>(items: T[], size: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length)
  let next = 0
  await Promise.all(
    Array.from({ length: Math.min(size, items.length) }, async () => {
      while (next < items.length) {
        const i = next++
        results[i] = await fn(items[i]!)
      }
    }),
  )
  return results
}

function needsRedis(block: DocBlock): boolean {
  return importedPackages(block.code).some((p) => p === 'redis' || p === 'ioredis')
}

function needsPostgres(block: DocBlock): boolean {
  return importedPackages(block.code).some((p) => p === 'pg' || p === 'postgres')
}

async function runAll(kind: 'esm' | 'commonjs'): Promise<void> {
  const todo = runnable.filter((b) => (redisUrl || !needsRedis(b)) && (postgresUrl || !needsPostgres(b)))
  const started = Date.now()
  const outcomes = await pool(todo, POOL, (b) => runBlock(b, projects[kind]))
  const failed = outcomes.filter((o) => !o.ok)
  const marked = blocks.filter((b) => b.fragment || b.notRunnable)
  console.log(
    [
      `docs blocks in the ${kind} project (${((Date.now() - started) / 1000).toFixed(1)} s): ` +
        `${outcomes.length - failed.length} ran, ${failed.length} failed, ${marked.length} marked, ` +
        `${runnable.length - todo.length} skipped (no Redis or PostgreSQL)`,
      ...outcomes.map((o) => `  ${o.ok ? 'ok  ' : 'FAIL'} ${blockName(o.block)}: ${o.detail.split('\n')[0]}`),
      ...marked.map(
        (b) =>
          `  marked ${blockName(b)}: ${b.fragment ? `fragment — ${b.fragment}` : `not runnable — ${b.notRunnable}`}`,
      ),
    ].join('\n'),
  )
  expect(
    failed.map((o) => `${blockName(o.block)} failed in the ${kind} project: ${o.detail}`),
    'docs blocks that do not run as pasted',
  ).toEqual([])
}

describe('docs blocks run as pasted, against the packed package', () => {
  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'tokenward-docs-'))
    const packed = JSON.parse(
      sh(`npm pack --json --ignore-scripts --pack-destination ${JSON.stringify(work)}`, packageDir()),
    ) as { filename: string }[]
    tarball = join(work, packed[0]!.filename)
    const [esm, commonjs] = await Promise.all([newProject('esm'), newProject('commonjs')])
    projects.esm = esm
    projects.commonjs = commonjs
  }, 180_000)

  afterAll(() => {
    if (work) rmSync(work, { recursive: true, force: true })
  })

  it('has blocks to run, and every marker gives its reason', () => {
    expect(runnable.length).toBeGreaterThan(20)
  })

  it('the docs give the setup line where readers first meet top-level await', () => {
    for (const file of ['README.md', 'docs/getting-started.md']) {
      expect(readFileSync(join(root, file), 'utf8'), file).toContain(SETUP_LINE)
    }
  })

  it('runs every block in an ESM project (npm init -y && npm pkg set type=module)', async () => {
    await runAll('esm')
  }, 150_000)

  it('runs every block in a default `npm init -y` project after the setup line', async () => {
    const dir = projects.commonjs
    const pkg = () => JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { type?: string }
    // npm 11 writes "type": "commonjs"; older npm writes none — CommonJS either way.
    expect(pkg().type ?? 'commonjs').toBe('commonjs')
    // Why the line is needed: as the reader's first paste, the getting-started block is refused.
    const probe = runnable.find((b) => b.file === 'docs/getting-started.md')!
    const before = await runBlock(probe, dir)
    expect(before.ok, `${blockName(probe)} ran in a CommonJS project: the probe proves nothing`).toBe(false)
    expect(before.detail).toMatch(
      /import statement outside a module|await is only valid|ERR_REQUIRE|SyntaxError/,
    )
    sh(SETUP_LINE, dir)
    expect(pkg().type).toBe('module')
    await runAll('commonjs')
  }, 150_000)
})
