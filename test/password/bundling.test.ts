// The native hashing modules stay out of every bundle: the core reaches tokenward/password only
// through a dynamic import, and tokenward/password loads argon2 and bcrypt by a specifier held in a
// variable, so a bundler neither inlines them nor needs them installed. Without the optional
// @node-rs/bcrypt, a bcrypt hash is a loud error that says what to install.
import { execFile } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { build } from 'esbuild'
import { afterAll, describe, expect, it } from 'vitest'

const root = join(import.meta.dirname, '..', '..')
// Outside the repository: no node_modules on the way up, so @node-rs/* cannot resolve from here.
const dir = mkdtempSync(join(tmpdir(), 'tokenward-password-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

/** Every module the bundle reads or leaves to the runtime (`external`), by the path it is imported as. */
async function graph(entry: string) {
  const { metafile } = await build({
    entryPoints: [join(root, entry)],
    bundle: true,
    format: 'esm',
    platform: 'neutral',
    packages: 'external', // jose, cookie… stay imports too: this looks at what is referenced, not at size
    write: false,
    metafile: true,
    logLevel: 'silent',
  })
  return Object.entries(metafile.inputs).flatMap(([path, input]) => [
    path,
    ...input.imports.map((i) => i.path),
  ])
}

describe('bundling', () => {
  it('bundles the core (src/index.ts) with no reference to argon2 or bcrypt', async () => {
    const paths = await graph('src/index.ts')
    // Reached lazily, by the package's own name: package.json `exports` pick the module per runtime
    // (argon2 on Node, Bun and Deno; src/password/unsupported.ts on Workers and in browsers).
    expect(paths).toContain('tokenward/password')
    expect(paths.filter((p) => p.includes('@node-rs'))).toEqual([])
  })

  it('bundles tokenward/password with no import a bundler would follow to argon2 or bcrypt', async () => {
    expect((await graph('src/password/index.ts')).filter((p) => p.includes('@node-rs'))).toEqual([])
  })
})

describe('without @node-rs/bcrypt installed', () => {
  it('rejects a bcrypt hash with an Error that names the package to install', async () => {
    await build({
      entryPoints: [join(root, 'src/password/index.ts')],
      bundle: true,
      format: 'esm',
      platform: 'neutral',
      outfile: join(dir, 'password.mjs'),
      logLevel: 'silent',
    })
    writeFileSync(
      join(dir, 'main.mjs'),
      `import { verifyPassword } from './password.mjs'
       const hash = '$2b$04$F834YU2FQBtkCPKKFNQe4OaruJtmz2pbIIxiRHtEyS1KAuS3M9XZC'
       const results = []
       for (let i = 0; i < 2; i++) {
         results.push(await verifyPassword(hash, 'fastapi-password-2b').then(
           (ok) => ({ ok }),
           (e) => ({ name: e.name, message: e.message, cause: e.cause?.code }),
         ))
       }
       console.log(JSON.stringify(results))`,
    )
    const { stdout } = await promisify(execFile)(process.execPath, [join(dir, 'main.mjs')], { cwd: dir })
    const results = JSON.parse(stdout) as { name?: string; message?: string; cause?: string }[]
    expect(results).toHaveLength(2) // the failed load is not cached as a success, nor as `false`
    for (const result of results) {
      expect(result).not.toHaveProperty('ok')
      expect(result.name).toBe('Error')
      expect(result.message).toContain('npm install @node-rs/bcrypt')
      expect(result.cause).toBe('ERR_MODULE_NOT_FOUND')
    }
  })
})
