import type { TestProject } from 'vitest/node'
import { redisServerBin, startRedis } from './redis.js'

declare module 'vitest' {
  export interface ProvidedContext {
    redisUrl: string | null
  }
}

/**
 * Gives the tests a real Redis: REDIS_URL when set, else a redis-server started here on a free
 * 127.0.0.1 port and stopped after the run. Without redis-server the Redis tests are skipped —
 * except under CI, where that is a failure.
 */
export default async function setup(project: TestProject) {
  if (process.env.REDIS_URL) {
    project.provide('redisUrl', process.env.REDIS_URL)
    return
  }
  if (!redisServerBin()) {
    if (process.env.CI) throw new Error('CI needs redis-server on PATH (.ci/run installs it with apt)')
    console.warn('\n!!! SKIPPING the Redis tests: no redis-server on PATH (apt-get install redis-server)\n')
    project.provide('redisUrl', null)
    return
  }
  const redis = await startRedis()
  project.provide('redisUrl', redis.url)
  return async () => redis.stop()
}
