// A TCP proxy that puts a server further away, for the benchmarks: every chunk is passed on `delay`
// ms after it arrived, each way, in order (as test/stores/tcp-proxy.ts passes bytes, plus the
// delay), so a Redis on loopback answers like one a network hop away. It counts the chunks clients
// send (each round trip starts with at least one; node-redis writes the commands of one tick as one
// chunk). Its own process, so the load it carries never delays its timers.
//   node latency-proxy.mjs <listenPort> <targetHost> <targetPort> <delayMs>
// Forked with IPC: sends 'ready'; answers the message 'stats' with { chunks } (client → server
// chunks so far, per connection, in the order the connections were made).
import { connect, createServer } from 'node:net'

const [listenPort, host, targetPort, delayArg] = process.argv.slice(2)
const delay = Number(delayArg)
const chunks = []

/** `fn` after the delay (timers of one duration fire in the order they were set: bytes stay in order). */
const later = (fn) => (delay === 0 ? fn() : setTimeout(fn, delay))

/**
 * Passes `from`'s bytes to `to`, each chunk `delay` ms later, and its end too (after the bytes
 * before it: QUIT's OK arrives before the close); counts the chunks as `connection`'s.
 */
function pipeDelayed(from, to, connection) {
  from.setNoDelay(true)
  from.on('data', (chunk) => {
    if (connection !== undefined) chunks[connection]++
    later(() => to.destroyed || to.write(chunk))
  })
  from.on('end', () => later(() => to.end()))
  from.on('error', () => later(() => to.destroy()))
  from.on('close', () => later(() => to.destroy()))
}

const server = createServer((client) => {
  const upstream = connect(Number(targetPort), host)
  chunks.push(0)
  pipeDelayed(client, upstream, chunks.length - 1)
  pipeDelayed(upstream, client)
})
server.listen(Number(listenPort), '127.0.0.1', () => process.send('ready'))
process.on('message', (m) => {
  if (m === 'stats') process.send({ chunks })
})
process.on('disconnect', () => process.exit(0))
