// A real Redis Cluster on one machine: three masters, no replicas, 127.0.0.1 only, free ports, a
// temporary directory for the nodes-*.conf files. Started once per test run by the global setup
// (docs: /work/shared/ENVIRONMENT.md, "Redis Cluster on one machine").
import { execFile } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { freePort, type RedisServer, redisCliBin, startRedis } from './redis.js'

const run = promisify(execFile)

/** A cluster node address, as both node-redis (`rootNodes`) and ioredis (`new Cluster([...])`) take it. */
export interface ClusterNode {
  host: string
  port: number
}

/** A running cluster started by {@link startRedisCluster}. */
export interface RedisCluster {
  nodes: ClusterNode[]
  stop: () => Promise<void>
}

/** `count` distinct free ports (the OS could hand out one twice between two probes). */
async function freePorts(count: number): Promise<number[]> {
  const ports = new Set<number>()
  while (ports.size < count) ports.add(await freePort())
  return [...ports]
}

/**
 * Starts `masters` cluster-enabled redis-servers, joins them with `redis-cli --cluster create`
 * (slots split evenly, no replicas) and waits until every node reports `cluster_state:ok`.
 * About 2 s, most of it redis-cli waiting for the nodes to agree.
 */
export async function startRedisCluster(masters = 3): Promise<RedisCluster> {
  const cli = redisCliBin()
  if (!cli) throw new Error('redis-cli is not on PATH (it comes with apt-get install redis-server)')
  const dir = await mkdtemp(join(tmpdir(), 'tokenward-cluster-'))
  const servers: RedisServer[] = []
  const stop = async () => {
    await Promise.all(servers.map((s) => s.stop()))
    await rm(dir, { recursive: true, force: true })
  }
  try {
    const ports = await freePorts(masters * 2)
    const started = await Promise.all(
      Array.from({ length: masters }, (_, i) => {
        const port = ports[i]!
        return startRedis({
          port,
          config: {
            'cluster-enabled': 'yes',
            'cluster-config-file': join(dir, `nodes-${port}.conf`),
            // The bus port defaults to port + 10000, which may be taken: pick a free one.
            'cluster-port': String(ports[masters + i]!),
            dir,
          },
        })
      }),
    )
    servers.push(...started)
    const nodes = started.map((s) => ({ host: s.host, port: s.port }))
    await run(
      cli,
      [
        '--cluster',
        'create',
        ...nodes.map((n) => `${n.host}:${n.port}`),
        '--cluster-replicas',
        '0',
        '--cluster-yes',
      ],
      { timeout: 30_000 },
    )
    // redis-cli returns once the slots are assigned; clients need every node to agree first.
    const deadline = Date.now() + 15_000
    for (const node of nodes) {
      for (;;) {
        const { stdout } = await run(cli, ['-h', node.host, '-p', String(node.port), 'cluster', 'info'])
        if (stdout.includes('cluster_state:ok')) break
        if (Date.now() > deadline) throw new Error(`cluster node ${node.port} is not ok:\n${stdout}`)
        await new Promise((resolve) => setTimeout(resolve, 50))
      }
    }
    return { nodes, stop }
  } catch (err) {
    await stop()
    throw err
  }
}
