import { defineConfig } from 'tsup'

export default defineConfig({
  entry: {
    index: 'src/index.ts',
    'adapters/express': 'src/adapters/express.ts',
    'adapters/fastify': 'src/adapters/fastify.ts',
    'adapters/hono': 'src/adapters/hono.ts',
    'adapters/fetch': 'src/adapters/fetch.ts',
    'stores/redis': 'src/stores/redis/index.ts',
    'stores/postgres': 'src/stores/postgres/index.ts',
    'password/index': 'src/password/index.ts',
    'password/unsupported': 'src/password/unsupported.ts',
    'testing/index': 'src/testing/index.ts',
  },
  format: ['esm', 'cjs'],
  dts: true,
  clean: true,
  splitting: true,
  sourcemap: true,
  target: 'es2022',
  platform: 'neutral',
  treeshake: true,
  // `cookie`, `fastify-plugin` and `@noble/hashes` (the HMAC-SHA256 of runtimes without
  // node:crypto) are compiled in: no CommonJS module to load at import time (`cookie` cost a cold
  // import ~15 ms), and no runtime dependency beyond jose and argon2. Their MIT notices are in
  // README.md.
  noExternal: ['cookie', 'fastify-plugin', '@noble/hashes'],
  // The auth routes load the password module by the package's own name, so that package.json
  // `exports` pick it per runtime (argon2 on Node/Bun/Deno, a stub on Workers): never inlined.
  external: ['tokenward/password'],
})
