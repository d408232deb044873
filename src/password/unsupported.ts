/**
 * `tokenward/password` where native code cannot load — Cloudflare Workers, Vercel Edge, browsers.
 * package.json `exports` gives bundlers this module for the `workerd`, `worker`, `edge-light` and
 * `browser` conditions instead of the argon2 one: a Worker bundle of the auth routes then carries
 * no native-module loader (a plain module Worker refuses its `import(specifier)`), and a login that
 * needs a password hash fails with what to do instead. Apps there check passwords themselves and
 * give the auth routes `verifyCredentials` (docs/runtimes.md).
 *
 * @internal
 * @packageDocumentation
 */

function unsupported(): Error {
  return new Error(
    'tokenward/password needs Node, Bun or Deno (argon2 is native code, which this runtime cannot load): ' +
      'give the auth routes verifyCredentials(username, password) instead of findUser, or hash on a server that can',
  )
}

/** Rejects: argon2 cannot load on this runtime. */
export async function hashPassword(_password: string, _options?: object): Promise<string> {
  throw unsupported()
}

/** Rejects: argon2 cannot load on this runtime. */
export async function verifyPassword(_hash: string, _password: string): Promise<boolean> {
  throw unsupported()
}

/** Throws: argon2 cannot load on this runtime. */
export function needsRehash(_hash: string, _options?: object): boolean {
  throw unsupported()
}
