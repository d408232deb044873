import { availableParallelism } from 'node:os'
import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts', 'docs/examples/**/*.test.ts'],
    exclude: ['test/bench/**', 'node_modules/**'],
    globalSetup: ['test/setup/global.ts'],
    testTimeout: 20_000,
    hookTimeout: 30_000,
    pool: 'forks',
    // Two files at a time even on two cores (vitest's default there is one): most of a file's time
    // is spent waiting on Redis, PostgreSQL, Chromium or a socket, not on the CPU. npm test: ≈ 1m45
    // instead of ≈ 2m50 on the 2-core CI machine.
    maxWorkers: Math.max(2, availableParallelism()),
  },
})
