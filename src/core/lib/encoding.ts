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

// --- strict base64url, and small numbers in base64url -------------------------------------------------------

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'
/** The 6-bit value of each base64url character by char code (-1: not base64url). */
const VALUE = new Int8Array(128).fill(-1)
for (let i = 0; i < 64; i++) VALUE[ALPHABET.charCodeAt(i)] = i

/**
 * True when `text[start, end)`, already known to use only base64url characters, is the ONE
 * encoding of its bytes: no length of 4n + 1 (no whole byte), and zero unused bits in the last
 * character (RFC 4648 §3.5). Decoders that ignore those bits accept several spellings of one
 * token; a strict parser does not.
 */
export function isCanonicalBase64url(text: string, start: number, end: number): boolean {
  const rest = (end - start) & 3
  if (rest === 0) return true
  if (rest === 1) return false
  const last = VALUE[text.charCodeAt(end - 1)] as number
  return (last & (rest === 2 ? 0x0f : 0x03)) === 0
}

/** `value`, a whole number below 64^`digits`, as `digits` base64url characters (most significant first). */
export function encodeBase64urlNumber(value: number, digits: number): string {
  let out = ''
  for (let shift = 6 * (digits - 1); shift >= 0; shift -= 6)
    out += ALPHABET[Math.floor(value / 2 ** shift) % 64]
  return out
}

/** The number {@link encodeBase64urlNumber} wrote at `text[start, start + digits)`, or -1 when those are not base64url. */
export function decodeBase64urlNumber(text: string, start: number, digits: number): number {
  if (text.length < start + digits) return -1
  let value = 0
  for (let i = start; i < start + digits; i++) {
    const code = text.charCodeAt(i)
    const v = code < 128 ? (VALUE[code] as number) : -1
    if (v < 0) return -1
    value = value * 64 + v
  }
  return value
}
