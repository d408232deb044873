// A TCP proxy in front of a real redis-server or PostgreSQL, for the verdict cache and fault
// tests: it can hold the replies of one connection (a read that left before a write but is
// answered after it) or make a connection silently dead (a network partition: nothing flows,
// nothing closes), and make every later connection dead from the start.
import { connect, createServer, type Socket } from 'node:net'

/** One client connection through the proxy, in the order clients connected. */
export interface ProxiedConnection {
  /** Keep the server's replies from the client until {@link ProxiedConnection.release}. */
  hold(): void
  /** The replies held so far, in one buffer. */
  held(): Buffer
  /** Deliver the held replies, and pass replies through again. */
  release(): void
  /** Drop every byte both ways from now on, without closing anything. */
  blackhole(): void
}

export interface TcpProxy {
  /** The target's URL with the proxy's port. */
  url: string
  port: number
  connections: ProxiedConnection[]
  /** From now on, connections made through the proxy pass nothing (a cancel request is lost). */
  blackholeNew(): void
  close(): Promise<void>
}

/** Starts a proxy on a free 127.0.0.1 port to the server at `url` (redis://…, postgres://…). */
export async function startProxy(url: string): Promise<TcpProxy> {
  const target = new URL(url)
  const sockets = new Set<Socket>()
  const connections: ProxiedConnection[] = []
  let dropNew = false
  const server = createServer((client) => {
    const upstream = connect(Number(target.port), target.hostname)
    sockets.add(client)
    sockets.add(upstream)
    let held: Buffer[] | undefined
    let dead = dropNew
    client.on('data', (chunk) => {
      if (!dead) upstream.write(chunk)
    })
    upstream.on('data', (chunk) => {
      if (dead) return
      if (held) held.push(chunk)
      else client.write(chunk)
    })
    const end = () => {
      client.destroy()
      upstream.destroy()
    }
    client.on('close', end)
    upstream.on('close', end)
    client.on('error', end)
    upstream.on('error', end)
    connections.push({
      hold() {
        held ??= []
      },
      held: () => Buffer.concat(held ?? []),
      release() {
        const chunks = held ?? []
        held = undefined
        for (const chunk of chunks) client.write(chunk)
      },
      blackhole() {
        dead = true
      },
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port: own } = server.address() as { port: number }
  const proxied = new URL(url)
  proxied.port = String(own)
  return {
    url: proxied.href,
    port: own,
    connections,
    blackholeNew() {
      dropNew = true
    },
    close: () =>
      new Promise((resolve) => {
        for (const s of sockets) s.destroy()
        server.close(() => resolve())
      }),
  }
}
