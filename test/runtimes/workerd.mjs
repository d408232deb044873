// The runtime flow in Cloudflare's workerd (through miniflare, which ships the workerd binary), run
// by Node as part of `npm run test:runtimes`:
// 1. bundle test/runtimes/worker.mjs with esbuild from the BUILT package (tokenward, tokenward/hono,
//    tokenward/fetch resolved through package.json `exports`, as a Workers build resolves them:
//    conditions workerd, worker, browser), as one ES module, no Node built-ins, no compatibility flags;
// 2. start it in workerd on a free 127.0.0.1 port — its Auths are created at the Worker's top level,
//    where workerd forbids timers, random values and I/O;
// 3. run the core flow inside the Worker (HS256, ES256, EdDSA, cookie mode, DPoP: Web Crypto, no
//    node:crypto there) and check its ES256 and EdDSA tokens here with jose against its JWK Set;
// 4. run the HTTP flow of test/runtimes/http-flow.mjs against the Hono and tokenward/fetch apps.
// Prints one JSON line of results, as flow.mjs does; exits non-zero on the first failure.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { build } from 'esbuild'
import { createLocalJWKSet, exportJWK, generateKeyPair, jwtVerify } from 'jose'
import { Miniflare } from 'miniflare'
import { runtimeFlow } from './http-flow.mjs'

const root = fileURLToPath(new URL('../../', import.meta.url))
const out = join(root, '.tmp', 'workerd')

const results = []
const check = (name, ok) => {
  results.push({ name, ok: Boolean(ok) })
  if (!ok) throw new Error(`failed: ${name}`)
}

async function privateJwk(alg) {
  const { privateKey } = await generateKeyPair(alg, { extractable: true })
  return { ...(await exportJWK(privateKey)), alg, kid: `${alg.toLowerCase()}-runtime` }
}
const keys = { es256: await privateJwk('ES256'), eddsa: await privateJwk('EdDSA') }

const bundle = await build({
  entryPoints: [join(root, 'test/runtimes/worker.mjs')],
  bundle: true,
  format: 'esm',
  platform: 'neutral',
  target: 'es2022',
  conditions: ['workerd', 'worker', 'browser', 'import'],
  mainFields: ['module', 'main'],
  define: { RUNTIME_KEYS: JSON.stringify(keys) },
  metafile: true,
  write: false,
  logLevel: 'error',
})
const contents = bundle.outputFiles[0].text
mkdirSync(out, { recursive: true })
writeFileSync(join(out, 'worker.mjs'), contents)
const inputs = Object.keys(bundle.metafile.inputs)
const imported = Object.values(bundle.metafile.inputs).flatMap((i) => i.imports.map((x) => x.path))
check(
  'bundle: the built package, no Node built-ins, no argon2',
  inputs.some((p) => p.startsWith('dist/')) &&
    !imported.some((p) => p.startsWith('node:')) &&
    !inputs.some((p) => p.includes('@node-rs')),
)

const require = createRequire(import.meta.url)
const workerdVersion = JSON.parse(readFileSync(require.resolve('workerd/package.json'), 'utf8')).version
const mf = new Miniflare({
  // As `wrangler deploy` uploads it: the bundle, one module, found from its path like a plain Worker.
  scriptPath: join(out, 'worker.mjs'),
  modules: true,
  modulesRoot: out,
  compatibilityDate: '2026-04-01',
  host: '127.0.0.1',
  port: 0,
})
try {
  const origin = String(await mf.ready).replace(/\/$/, '')
  check('the Worker starts (createAuth at its top level)', origin.startsWith('http://127.0.0.1:'))
  for (const kind of ['hs256', 'es256', 'eddsa', 'cookie', 'dpop']) {
    const res = await fetch(`${origin}/core/${kind}`)
    const { results: inside, jwks, token, nodeCrypto } = await res.json()
    for (const r of inside) check(`core ${kind}: ${r.name}`, r.ok)
    check(`core ${kind}: on the Web Crypto backend (no node:crypto in the Worker)`, nodeCrypto === false)
    if (kind === 'es256' || kind === 'eddsa') {
      const { payload, protectedHeader } = await jwtVerify(token, createLocalJWKSet(jwks), {
        typ: 'at+jwt',
      })
      check(
        `core ${kind}: its token verifies with jose against its JWK Set`,
        payload.sub === 'u-ada' && protectedHeader.alg === keys[kind].alg,
      )
    }
  }
  results.push(...(await runtimeFlow(origin)))
} finally {
  await mf.dispose()
}
console.log(JSON.stringify({ runtime: `workerd ${workerdVersion}`, results }))
