// Serves an app of any of the three frameworks on a free 127.0.0.1 port, and a few request helpers
// the adapter tests share. Each test builds the app it needs; apps.ts holds the common one.
import type { AddressInfo } from 'node:net'
import { serve } from '@hono/node-server'
import type { Express } from 'express'
import type { FastifyInstance } from 'fastify'
import type { Hono } from 'hono'

export const FRAMEWORKS = ['express', 'fastify', 'hono'] as const
export type Framework = (typeof FRAMEWORKS)[number]

export interface Served {
  url: string
  close: () => Promise<void>
}

export async function serveExpress(app: Express): Promise<Served> {
  const server = app.listen(0, '127.0.0.1')
  await new Promise((resolve) => server.once('listening', resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}

export async function serveFastify(app: FastifyInstance): Promise<Served> {
  const url = await app.listen({ port: 0, host: '127.0.0.1' })
  return { url, close: () => app.close() }
}

export async function serveHono(app: Hono<never> | Hono): Promise<Served> {
  const server = await new Promise<ReturnType<typeof serve>>((resolve) => {
    const s = serve({ fetch: (app as Hono).fetch, port: 0, hostname: '127.0.0.1' }, () => resolve(s))
  })
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise((resolve) => {
        ;(server as unknown as { closeAllConnections?: () => void }).closeAllConnections?.()
        server.close(() => resolve())
      }),
  }
}

export const SECRET = 'adapter-wiring-test-secret-at-least-32-bytes!'

export const json = { 'content-type': 'application/json' }
export const form = { 'content-type': 'application/x-www-form-urlencoded' }

export async function errorOf(res: Response): Promise<string> {
  return ((await res.json()) as { error: string }).error
}

/** The `name=value` pairs of a response's Set-Cookie headers, as a Cookie header. */
export function jarOf(res: Response): string {
  return res.headers
    .getSetCookie()
    .map((c) => c.split(';')[0])
    .join('; ')
}

/** One cookie's value from a Cookie header. */
export function cookieIn(jar: string, name: string): string | undefined {
  for (const pair of jar.split('; ')) {
    const eq = pair.indexOf('=')
    if (pair.slice(0, eq) === name) return pair.slice(eq + 1)
  }
  return undefined
}
