import type { TestProject } from 'vitest/node'
import { type ClusterNode, startRedisCluster } from './cluster.js'
import { postgresBinDir, startPostgres } from './postgres.js'
import { redisCliBin, redisServerBin, startRedis } from './redis.js'

declare module 'vitest' {
  export interface ProvidedContext {
    redisUrl: string | null
    /** The nodes of a 3-master Redis Cluster, or null when the Redis tests are skipped. */
    redisCluster: ClusterNode[] | null
    /** A PostgreSQL server (trust authentication, pg_stat_statements), or null when its tests are skipped. */
    postgresUrl: string | null
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
 * Gives the tests a real Redis, a real Redis Cluster and a real PostgreSQL, once per run: REDIS_URL / REDIS_CLUSTER
 * when set, else a redis-server and a 3-master cluster started here on free 127.0.0.1 ports (side
 * by side, ~2 s) and stopped after the run. Without redis-server (or redis-cli, for the cluster)
 * the Redis tests are skipped — except under CI, where that is a failure. Likewise PostgreSQL:
 * POSTGRES_URL when set, else a server from the Debian package (test/setup/postgres.ts).
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
  // PostgreSQL: POSTGRES_URL when set, else a server started here from the Debian binaries.
  if (!process.env.POSTGRES_URL && !postgresBinDir()) {
    if (process.env.CI) throw new Error('CI needs PostgreSQL (.ci/run installs postgresql with apt)')
    console.warn('\n!!! SKIPPING the PostgreSQL tests: no PostgreSQL (apt-get install postgresql)\n')
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
    process.env.POSTGRES_URL
      ? process.env.POSTGRES_URL
      : postgresBinDir()
        ? startPostgres().then((pg) => {
            stops.push(pg.stop)
            return pg.url
          })
        : null,
  ] as const)
  const failed = started.find((r) => r.status === 'rejected')
  if (failed) {
    // Stop whichever did start before failing the run.
    await Promise.all(stops.map((stop) => stop()))
    throw failed.reason
  }
  const [url, cluster, postgresUrl] = started.map((r) => (r as PromiseFulfilledResult<unknown>).value) as [
    string | null,
    ClusterNode[] | null,
    string | null,
  ]
  project.provide('redisUrl', url)
  project.provide('redisCluster', cluster)
  project.provide('postgresUrl', postgresUrl)
  return async () => {
    await Promise.all(stops.map((stop) => stop()))
  }
}
