// Every ```ts block in README.md and docs/*.md is type-checked against the sources, imported the
// way users import the package, so the docs cannot rot. A deliberately partial block is marked
// `<!-- docs-check: skip: why -->` on the line before its fence (test/docs/blocks.ts). Running the
// blocks against the packed package is run-blocks.test.ts.
import { execFileSync } from 'node:child_process'
import { mkdirSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { expect, it } from 'vitest'
import { docBlocks, root } from './blocks.js'

const out = join(root, '.tmp', 'docs-check')

it('type-checks every TypeScript block in the README and docs/', () => {
  rmSync(out, { recursive: true, force: true })
  mkdirSync(out, { recursive: true })
  let blocks = 0
  for (const block of docBlocks()) {
    // Bun and Deno blocks use their runtime's globals: run-blocks.test.ts runs them there instead.
    if (block.lang !== 'ts' || block.fragment || block.runtime === 'bun' || block.runtime === 'deno') continue
    blocks++
    const name = `${block.file.replace(/[/.]/g, '_')}_L${block.line}.ts`
    writeFileSync(join(out, name), `${block.code}\nexport {}\n`)
  }
  const paths: Record<string, string[]> = { tokenward: ['src/index.ts'] }
  for (const [entry, path] of Object.entries({
    express: 'src/adapters/express.ts',
    fastify: 'src/adapters/fastify.ts',
    hono: 'src/adapters/hono.ts',
    fetch: 'src/adapters/fetch.ts',
    redis: 'src/stores/redis/index.ts',
    postgres: 'src/stores/postgres/index.ts',
    password: 'src/password/index.ts',
    testing: 'src/testing/index.ts',
  })) {
    paths[`tokenward/${entry}`] = [path]
  }
  writeFileSync(
    join(out, 'tsconfig.json'),
    JSON.stringify({
      compilerOptions: {
        target: 'ES2022',
        module: 'ESNext',
        moduleResolution: 'Bundler',
        strict: true,
        skipLibCheck: true,
        noEmit: true,
        types: ['node'],
        lib: ['ES2023', 'DOM'],
        baseUrl: '../..',
        paths,
      },
      include: ['*.ts'],
    }),
  )
  expect(blocks).toBeGreaterThan(10)
  let output = ''
  try {
    execFileSync(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', out], {
      encoding: 'utf8',
    })
  } catch (err) {
    output = String((err as { stdout?: string }).stdout ?? err)
  }
  expect(output, output).toBe('')
}, 120_000)
