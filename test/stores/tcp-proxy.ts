// A TCP proxy in front of a real redis-server, for the verdict cache tests: it can hold the
// replies of one connection (a read that left before a write but is answered after it) or make a
// connection silently dead (a network partition: nothing flows, nothing closes).
import { connect, createServer, type Socket } from 'node:net'

/** One client connection through the proxy, in the order clients connected. */
export interface ProxiedConnection {
  /** Keep the server's replies from the client until {@link ProxiedConnection.release}. */
  hold(): void
  /** Deliver the held replies, and pass replies through again. */
  release(): void
  /** Drop every byte both ways from now on, without closing anything. */
  blackhole(): void
}

export interface TcpProxy {
  url: string
  port: number
  connections: ProxiedConnection[]
  close(): Promise<void>
}

/** Starts a proxy on a free 127.0.0.1 port to `host:port`. */
export async function startProxy(host: string, port: number): Promise<TcpProxy> {
  const sockets = new Set<Socket>()
  const connections: ProxiedConnection[] = []
  const server = createServer((client) => {
    const upstream = connect(port, host)
    sockets.add(client)
    sockets.add(upstream)
    let held: Buffer[] | undefined
    let dead = false
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
  return {
    url: `redis://127.0.0.1:${own}`,
    port: own,
    connections,
    close: () =>
      new Promise((resolve) => {
        for (const s of sockets) s.destroy()
        server.close(() => resolve())
      }),
  }
}
