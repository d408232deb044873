// Every ```ts block in README.md and docs/*.md is type-checked against the sources, imported the
// way users import the package, so the docs cannot rot. Mark a deliberately partial block with
// `<!-- docs-check: skip -->` on the line before its fence.
import { execFileSync } from 'node:child_process'
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { expect, it } from 'vitest'

const root = join(import.meta.dirname, '..', '..')
const out = join(root, '.tmp', 'docs-check')

it('type-checks every TypeScript block in the README and docs/', () => {
  rmSync(out, { recursive: true, force: true })
  mkdirSync(out, { recursive: true })
  const files = [
    'README.md',
    ...readdirSync(join(root, 'docs'))
      .filter((f) => f.endsWith('.md'))
      .map((f) => `docs/${f}`),
  ]
  let blocks = 0
  for (const file of files) {
    const lines = readFileSync(join(root, file), 'utf8').split('\n')
    for (let i = 0; i < lines.length; i++) {
      if (!/^```(ts|typescript)\s*$/.test(lines[i]!)) continue
      let end = i + 1
      while (end < lines.length && !lines[end]!.startsWith('```')) end++
      if (!lines[i - 1]?.includes('docs-check: skip')) {
        blocks++
        const name = `${file.replace(/[/.]/g, '_')}_L${i + 1}.ts`
        writeFileSync(join(out, name), `${lines.slice(i + 1, end).join('\n')}\nexport {}\n`)
      }
      i = end
    }
  }
  const paths: Record<string, string[]> = { tokenward: ['src/index.ts'] }
  for (const [entry, path] of Object.entries({
    express: 'src/adapters/express.ts',
    fastify: 'src/adapters/fastify.ts',
    hono: 'src/adapters/hono.ts',
    redis: 'src/stores/redis.ts',
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
