/**
 * The adapter kit (internal), auth routes: what every adapter does to hand a request to the
 * auth routes. In order: the declared size, the capped body read (Node streams, then Fetch
 * streams), and the path the routes are served under.
 *
 * @internal
 * @packageDocumentation
 */
import { badRequest } from '../../http/body.js'
import { tooLarge } from './errors.js'

/** The declared `Content-Length` already says the body is too large. */
export function declaredTooLarge(contentLength: string | null | undefined, limit: number): boolean {
  if (contentLength === undefined || contentLength === null) return false
  const declared = Number(contentLength)
  return Number.isFinite(declared) && declared > limit
}

function concat(chunks: Uint8Array[], size: number): Uint8Array {
  if (chunks.length === 1) return chunks[0]!
  const out = new Uint8Array(size)
  let offset = 0
  for (const chunk of chunks) {
    out.set(chunk, offset)
    offset += chunk.length
  }
  return out
}

/** A Node readable stream (the request of Express, the payload of Fastify), as far as this reads it. */
export interface NodeStream {
  on(event: string, listener: (arg?: unknown) => void): unknown
  off(event: string, listener: (arg?: unknown) => void): unknown
  pause(): unknown
}

/**
 * Reads a Node request body, counting bytes, and stops at `limit`: a body over it is refused as
 * soon as the limit is passed (400 `invalid_request`), without reading the rest.
 */
export function readNodeBody(stream: NodeStream, limit: number): Promise<Uint8Array> {
  return new Promise((resolve, reject) => {
    const chunks: Uint8Array[] = []
    let size = 0
    const done = () => {
      stream.off('data', onData)
      stream.off('end', onEnd)
      stream.off('error', onError)
    }
    const onData = (chunk: unknown) => {
      const bytes = chunk as Uint8Array
      size += bytes.length
      if (size > limit) {
        done()
        stream.pause()
        reject(tooLarge(limit))
        return
      }
      chunks.push(bytes)
    }
    const onEnd = () => {
      done()
      resolve(concat(chunks, size))
    }
    const onError = () => {
      done()
      reject(badRequest('the body could not be read'))
    }
    stream.on('data', onData)
    stream.on('end', onEnd)
    stream.on('error', onError)
  })
}

/** Reads a Fetch body stream the same way (Hono and tokenward/fetch, on every runtime). */
export async function readWebBody(body: ReadableStream<Uint8Array>, limit: number): Promise<Uint8Array> {
  const reader = body.getReader()
  const chunks: Uint8Array[] = []
  let size = 0
  for (;;) {
    let step: ReadableStreamReadResult<Uint8Array>
    try {
      step = await reader.read()
    } catch {
      throw badRequest('the body could not be read')
    }
    if (step.done) return concat(chunks, size)
    size += step.value.byteLength
    if (size > limit) {
      reader.cancel().catch(() => {})
      throw tooLarge(limit)
    }
    chunks.push(step.value)
  }
}

/**
 * The path the auth routes are served under, as the client sees it: the request path without the
 * part below the prefix (`/api/auth/login` → `/api/auth`), or `fallback` when they do not line up.
 */
export function servedUnder(fullPath: string, below: string, fallback: string): string {
  return below.length > 0 && fullPath.endsWith(below)
    ? fullPath.slice(0, fullPath.length - below.length)
    : fallback
}
