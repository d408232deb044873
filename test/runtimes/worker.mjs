// A module Worker for workerd (run by test/runtimes/workerd.mjs, bundled with esbuild from the
// BUILT package). Every Auth is created at the top level, as docs/hono.md and docs/fetch.md write
// it: workerd refuses a timer, random values or I/O there, so this start-up is itself a check.
// RUNTIME_KEYS (private JWKs made by the driver) is put in by esbuild's `define`.
import { runtimeApp } from './apps.mjs'

const handle = runtimeApp(RUNTIME_KEYS)

export default {
  fetch: (request) => handle(request),
}
