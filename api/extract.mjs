/**
 * The public API report: every exported name and signature of every entry point, read by
 * api-extractor from the BUILT declarations (dist/**\/*.d.ts, so `npm run build` first), one
 * report per entry in api/<entry>.api.md.
 *
 *   node api/extract.mjs          fails when a report differs from the build (npm run api:check, CI)
 *   node api/extract.mjs --local  rewrites the reports (npm run api: build, then this)
 *
 * A change to the public API therefore shows in the diff of api/*.api.md. The shared types (`Auth`,
 * `AuthContext` …) are reported once, in tokenward.api.md; the adapters' reports name them. A type
 * that a signature names but NO entry point exports fails the run (ae-forgotten-export).
 * api-extractor does not report module augmentations: `req.auth` (Express's `declare global`) and
 * Fastify's `declare module 'fastify'` are read in dist/adapters/{express,fastify}.d.ts.
 */
import { existsSync, readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { Extractor, ExtractorConfig, ExtractorLogLevel } from '@microsoft/api-extractor'
import ts from 'typescript'

const here = dirname(fileURLToPath(import.meta.url))
const root = join(here, '..')

/** Report name → the entry's declarations (package.json `exports`, the `import` condition). */
const ENTRIES = {
  tokenward: 'dist/index.d.ts',
  express: 'dist/adapters/express.d.ts',
  fastify: 'dist/adapters/fastify.d.ts',
  hono: 'dist/adapters/hono.d.ts',
  fetch: 'dist/adapters/fetch.d.ts',
  redis: 'dist/stores/redis.d.ts',
  postgres: 'dist/stores/postgres.d.ts',
  password: 'dist/password/index.d.ts',
  // tokenward/password under the workerd, worker, edge-light and browser conditions.
  'password-unsupported': 'dist/password/unsupported.d.ts',
  testing: 'dist/testing/index.d.ts',
}

/** The names the `tokenward` entry exports: a type an adapter's signature names is public if it is one. */
function rootExports() {
  const file = join(root, ENTRIES.tokenward)
  const program = ts.createProgram([file], { noEmit: true, skipLibCheck: true, types: [] })
  const checker = program.getTypeChecker()
  const module = checker.getSymbolAtLocation(program.getSourceFile(file))
  return new Set(checker.getExportsOfModule(module).map((s) => s.name))
}

const local = process.argv.includes('--local')
const missing = Object.values(ENTRIES).filter((entry) => !existsSync(join(root, entry)))
if (missing.length > 0) {
  console.error(`api: no ${missing.join(', ')}: run \`npm run build\` first (or \`npm run api\`)`)
  process.exit(1)
}
const configPath = join(here, 'api-extractor.json')
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'))
const publicNames = rootExports()

let failed = 0
for (const [name, entry] of Object.entries(ENTRIES)) {
  const configObject = ExtractorConfig.loadFile(configPath)
  configObject.mainEntryPointFilePath = join(root, entry)
  configObject.apiReport = { ...configObject.apiReport, reportFileName: name }
  const config = ExtractorConfig.prepare({
    configObject,
    configObjectFullPath: configPath,
    packageJsonFullPath: join(root, 'package.json'),
    packageJson: { name: pkg.name, version: pkg.version },
  })
  const result = Extractor.invoke(config, {
    localBuild: local,
    printApiReportDiff: !local,
    messageCallback(message) {
      if (message.messageId === 'console-preamble') message.handled = true
      // A type shared with the core entry (`import type { Auth } from 'tokenward'`) is not forgotten.
      const forgotten =
        message.messageId === 'ae-forgotten-export' && /The symbol "([^"]+)"/.exec(message.text)
      if (forgotten && name !== 'tokenward' && publicNames.has(forgotten[1])) {
        message.logLevel = ExtractorLogLevel.None
        message.handled = true
      }
    },
  })
  const report = `api/${name}.api.md`
  if (!result.succeeded) {
    failed++
    console.error(
      result.apiReportChanged
        ? `${report}: the build's public API differs from the checked-in report (npm run api to update it)`
        : `${report}: ${result.errorCount} error(s), ${result.warningCount} warning(s)`,
    )
  } else if (!local && result.warningCount > 0) {
    failed++
    console.error(`${report}: ${result.warningCount} warning(s) (see above)`)
  } else if (local && result.apiReportChanged) console.log(`${report}: updated`)
}
if (failed > 0) process.exit(1)
console.log(local ? 'api: reports written' : 'api: every report matches the build')
