// The built package in Cloudflare's workerd (miniflare ships the binary): the two things that kept
// a Worker from starting. workerd refuses a timer, random values or I/O at a Worker's top level,
// where apps call createAuth (and createAuth makes a memoryStore when given no store); and a plain
// module Worker — the bundle found from its path, as `scriptPath` + `modules: true` does — refuses
// an `import(specifier)`, which the argon2 loader of tokenward/password is. The whole runtime flow
// in workerd is `npm run test:runtimes` (test/runtimes/workerd.mjs).
import { mkdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { build } from 'esbuild'
import { Miniflare } from 'miniflare'
import { describe, expect, it } from 'vitest'

const root = join(import.meta.dirname, '..', '..')
const out = join(root, '.tmp', 'edge-workerd')

/** Bundles `source` as a Workers build does (conditions workerd, worker, browser) into `file`. */
async function bundle(source: string, file: string): Promise<string> {
  mkdirSync(out, { recursive: true })
  const path = join(out, file)
  await build({
    stdin: { contents: source, resolveDir: root, loader: 'js' },
    bundle: true,
    format: 'esm',
    platform: 'neutral',
    conditions: ['workerd', 'worker', 'browser', 'import'],
    mainFields: ['module', 'main'],
    outfile: path,
    logLevel: 'error',
  })
  return path
}

/** Starts the bundle as a plain module Worker and sends it one request per `requests` entry. */
async function inWorkerd(path: string, requests: [string, RequestInit?][]): Promise<Response[]> {
  const mf = new Miniflare({
    scriptPath: path,
    modules: true,
    modulesRoot: out,
    compatibilityDate: '2026-04-01',
  })
  try {
    const answers: Response[] = []
    for (const [url, init] of requests) {
      const res = await mf.dispatchFetch(url, init as never)
      answers.push(new Response(await res.text(), { status: res.status }))
    }
    return answers
  } finally {
    await mf.dispose()
  }
}

describe('workerd (Cloudflare Workers runtime)', () => {
  it('starts a Worker that calls createAuth at its top level (default memoryStore, no timer until first use; a remote JWK Set, not fetched)', async () => {
    const path = await bundle(
      `import { createAuth } from 'tokenward'
       const auth = createAuth({ secret: 'workerd-test-secret-at-least-32-bytes!!', reuseGrace: 0 })
       // Verify-only from a remote JWK Set: nothing is fetched before the first token.
       createAuth({ jwks: 'https://issuer.example/.well-known/jwks.json', issuer: 'https://issuer.example', audience: 'api' })
       export default {
         async fetch() {
           const pair = await auth.issueTokens({ sub: 'u1' })
           await auth.refresh(pair.refreshToken)
           const reuse = await auth.refresh(pair.refreshToken).then(() => 'ok', (e) => e.code)
           return Response.json({ sub: (await auth.verifyAccessToken(pair.accessToken).catch((e) => ({ sub: e.code }))).sub, reuse })
         },
       }`,
      'top-level.mjs',
    )
    const [res] = await inWorkerd(path, [['http://worker/']])
    expect(await res!.json()).toEqual({ sub: 'token_revoked', reuse: 'refresh_token_reused' })
  }, 30_000)

  it('starts a plain module Worker whose bundle has the auth routes: tokenward/password resolves to its Workers stub', async () => {
    const path = await bundle(
      `import { Hono } from 'hono'
       import { createAuth } from 'tokenward'
       import { authRoutes } from 'tokenward/hono'
       const auth = createAuth({ secret: 'workerd-test-secret-at-least-32-bytes!!' })
       const app = new Hono()
       app.route('/a', authRoutes(auth, { verifyCredentials: (u, p) => (p === 'pw' ? { id: u } : null) }))
       app.route('/b', authRoutes(auth, { findUser: (u) => ({ id: u, passwordHash: '$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHQ$aGFzaGhhc2hoYXNo' }) }))
       app.onError((err, c) => c.text(err.message, 500))
       export default { fetch: (request) => app.fetch(request) }`,
      'auth-routes.mjs',
    )
    const login = (prefix: string): [string, RequestInit] => [
      `http://worker${prefix}/auth/login`,
      {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ username: 'ada', password: 'pw' }),
      },
    ]
    const [withCredentials, withHash] = await inWorkerd(path, [login('/a'), login('/b')])
    expect(withCredentials!.status).toBe(200)
    // A password hash cannot be checked here: the app's mistake, answered by its own error handler.
    expect(withHash!.status).toBe(500)
    expect(await withHash!.text()).toMatch(/tokenward\/password needs Node, Bun or Deno.*verifyCredentials/)
  }, 30_000)

  it('keeps the argon2 loader out of a Workers bundle of the routes', async () => {
    const path = await bundle(`export * from 'tokenward/hono'`, 'hono.mjs')
    const code = readFileSync(path, 'utf8')
    expect(code).not.toContain('@node-rs')
    expect(code).toContain('tokenward/password needs Node, Bun or Deno')
  })
})
