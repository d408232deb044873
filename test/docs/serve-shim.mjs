// Preloaded (`bun --preload`, `deno run --preload`) into the docs blocks that run-blocks.test.ts runs
// on Bun and Deno: what listen-shim.mjs does for Node. A block keeps its `Bun.serve({ port: 3000 })`
// or `Deno.serve({ port: 3000 }, …)` as pasted; this moves it to a free port on 127.0.0.1 and tells
// the test where, on a line of stdout (there is no IPC channel to a Bun or Deno child).
if (typeof Bun !== 'undefined') {
  const serve = Bun.serve
  Bun.serve = (options) => {
    console.log('docs-block:listen')
    const server = serve.call(Bun, { ...options, port: 0, hostname: '127.0.0.1' })
    console.log(`docs-block:listening:${server.port}`)
    return server
  }
} else if (typeof Deno !== 'undefined') {
  const serve = Deno.serve
  const moved = (...args) => {
    console.log('docs-block:listen')
    const options = typeof args[0] === 'object' && args[0] !== null ? args[0] : {}
    const handler = typeof args[0] === 'function' ? args[0] : (args[1] ?? options.handler)
    return serve.call(
      Deno,
      {
        ...options,
        port: 0,
        hostname: '127.0.0.1',
        onListen: ({ port }) => console.log(`docs-block:listening:${port}`),
      },
      handler,
    )
  }
  Object.defineProperty(Deno, 'serve', { value: moved })
}
