// Preloaded (`node --import`) into every docs block that run-blocks.test.ts runs. A block that
// listens on a port keeps its `app.listen(3000)` as pasted: this moves every listen to a free port
// on 127.0.0.1 (blocks run side by side, and a developer's own :3000 stays untouched) and tells
// the test where it listens, over the IPC channel the test opened.
import net from 'node:net'

const listen = net.Server.prototype.listen
net.Server.prototype.listen = function (...args) {
  if (typeof args[0] === 'number' || (typeof args[0] === 'string' && /^\d+$/.test(args[0]))) {
    args[0] = 0
    if (typeof args[1] === 'string') args[1] = '127.0.0.1'
  } else if (args[0] && typeof args[0] === 'object' && 'port' in args[0]) {
    args[0] = { ...args[0], port: 0, host: '127.0.0.1' }
  }
  process.send?.({ docsBlock: 'listen' })
  this.once('listening', () => {
    const address = this.address()
    if (address && typeof address === 'object') process.send?.({ docsBlock: 'listening', port: address.port })
  })
  return listen.apply(this, args)
}
