import type { TestProject } from 'vitest/node'
import { type ClusterNode, startRedisCluster } from './cluster.js'
import { redisCliBin, redisServerBin, startRedis } from './redis.js'

declare module 'vitest' {
  export interface ProvidedContext {
    redisUrl: string | null
    /** The nodes of a 3-master Redis Cluster, or null when the Redis tests are skipped. */
    redisCluster: ClusterNode[] | null
  }
}

/** `REDIS_CLUSTER=127.0.0.1:7000,127.0.0.1:7001` → nodes. */
function parseNodes(list: string): ClusterNode[] {
  return list.split(',').map((entry) => {
    const [host, port] = entry.trim().split(':')
    return { host: host || '127.0.0.1', port: Number(port) }
  })
}

/**
 * Gives the tests a real Redis and a real Redis Cluster, once per run: REDIS_URL / REDIS_CLUSTER
 * when set, else a redis-server and a 3-master cluster started here on free 127.0.0.1 ports (side
 * by side, ~2 s) and stopped after the run. Without redis-server (or redis-cli, for the cluster)
 * the Redis tests are skipped — except under CI, where that is a failure.
 */
export default async function setup(project: TestProject) {
  const stops: (() => Promise<void>)[] = []
  const missing = !redisServerBin()
    ? 'redis-server'
    : !process.env.REDIS_CLUSTER && !redisCliBin()
      ? 'redis-cli'
      : null
  if (missing && !(process.env.REDIS_URL && process.env.REDIS_CLUSTER)) {
    if (process.env.CI)
      throw new Error(`CI needs ${missing} on PATH (.ci/run installs redis-server with apt)`)
    console.warn(`\n!!! SKIPPING the Redis tests: no ${missing} on PATH (apt-get install redis-server)\n`)
  }
  const started = await Promise.allSettled([
    process.env.REDIS_URL
      ? process.env.REDIS_URL
      : redisServerBin()
        ? startRedis().then((redis) => {
            stops.push(redis.stop)
            return redis.url
          })
        : null,
    process.env.REDIS_CLUSTER
      ? parseNodes(process.env.REDIS_CLUSTER)
      : redisServerBin() && redisCliBin()
        ? startRedisCluster().then((c) => {
            stops.push(c.stop)
            return c.nodes
          })
        : null,
  ] as const)
  const failed = started.find((r) => r.status === 'rejected')
  if (failed) {
    // Stop whichever did start before failing the run.
    await Promise.all(stops.map((stop) => stop()))
    throw failed.reason
  }
  const [url, cluster] = started.map((r) => (r as PromiseFulfilledResult<unknown>).value) as [
    string | null,
    ClusterNode[] | null,
  ]
  project.provide('redisUrl', url)
  project.provide('redisCluster', cluster)
  return async () => {
    await Promise.all(stops.map((stop) => stop()))
  }
}
