import { base64url } from 'jose'

/**
 * base64url and UTF-8 helpers. Node and Bun have a global `Buffer` whose codec is several times
 * faster than the portable path; everywhere else jose's codec (Web APIs only) is used.
 */

type NodeBufferInstance = Uint8Array & {
  toString(encoding?: 'base64url' | 'utf8'): string
}
interface NodeBufferStatic {
  from(input: string, encoding: 'base64url' | 'utf8'): NodeBufferInstance
  from(input: ArrayBufferLike, byteOffset: number, length: number): NodeBufferInstance
}
const NodeBuffer = (globalThis as { Buffer?: NodeBufferStatic }).Buffer

const encoder = new TextEncoder()
const decoder = new TextDecoder('utf-8', { fatal: true })

export function utf8(text: string): Uint8Array {
  return encoder.encode(text)
}

export function encodeBase64url(input: Uint8Array | string): string {
  if (NodeBuffer) {
    const buf =
      typeof input === 'string'
        ? NodeBuffer.from(input, 'utf8')
        : NodeBuffer.from(input.buffer, input.byteOffset, input.byteLength)
    return buf.toString('base64url')
  }
  return base64url.encode(input)
}

/** Decodes a segment already checked to be base64url without padding (RFC 7515 §2). */
export function decodeBase64url(segment: string): Uint8Array {
  if (NodeBuffer) return NodeBuffer.from(segment, 'base64url')
  return base64url.decode(segment)
}

/** Decodes a base64url segment to text; throws on invalid UTF-8. */
export function decodeBase64urlText(segment: string): string {
  return decoder.decode(decodeBase64url(segment))
}
