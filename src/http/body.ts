/** Request bodies of the auth routes: JSON or form, size-capped; bad input is `invalid_request`. */
import { getHeader } from '../core/credentials/index.js'
import { AuthError } from '../core/errors.js'
import type { AuthRouteRequest, BodyFields } from './types.js'

/** A 400 `invalid_request`. */
export const badRequest = (message: string) => new AuthError('invalid_request', message)

/** A body over the limit: adapters answer it while streaming, before reading the rest. */
export const bodyTooLarge = (maxBytes: number) => badRequest(`the body is larger than ${maxBytes} bytes`)

/** RFC 6749 §3.2: request parameters must not be included more than once. */
const repeated = (name: string) => badRequest(`the parameter ${name.slice(0, 32)} is repeated`)

/** The media type of the request body, lower-case, without parameters. */
function contentTypeOf(request: AuthRouteRequest): string {
  return (getHeader(request.headers, 'content-type') ?? '').split(';')[0]!.trim().toLowerCase()
}

function byteLength(body: string | Uint8Array): number {
  return typeof body === 'string' ? new TextEncoder().encode(body).length : body.length
}

/** Parses a JSON or form body into fields. Bad input is `invalid_request`, never a throw of another kind. */
export function parseBody(request: AuthRouteRequest, maxBytes: number): BodyFields {
  const { body } = request
  if (body === undefined || body === null) return {}
  if (typeof body === 'object' && !(body instanceof Uint8Array)) {
    if (Array.isArray(body)) throw badRequest('the body must be a JSON object')
    // A form a framework parsed already (Express's urlencoded parser) turns a repeated parameter
    // into a list: the same 400 as the raw form below, on every framework.
    if (contentTypeOf(request) === 'application/x-www-form-urlencoded') {
      for (const [name, value] of Object.entries(body)) if (Array.isArray(value)) throw repeated(name)
    }
    return body
  }
  if (byteLength(body) > maxBytes) throw bodyTooLarge(maxBytes)
  const text = typeof body === 'string' ? body : new TextDecoder().decode(body)
  if (text.trim() === '') return {}
  const type = contentTypeOf(request)
  if (type === 'application/json' || type.endsWith('+json')) {
    let parsed: unknown
    try {
      parsed = JSON.parse(text)
    } catch {
      throw badRequest('the body is not valid JSON')
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
      throw badRequest('the body must be a JSON object')
    return parsed as BodyFields
  }
  if (type === 'application/x-www-form-urlencoded') {
    const params = new URLSearchParams(text)
    const fields: BodyFields = {}
    for (const [name, value] of params) {
      if (Object.hasOwn(fields, name)) throw repeated(name)
      fields[name] = value
    }
    return fields
  }
  throw badRequest('the body must be application/json or application/x-www-form-urlencoded')
}

export function stringField(fields: BodyFields, name: string, required: true): string
export function stringField(fields: BodyFields, name: string, required: false): string | undefined
export function stringField(fields: BodyFields, name: string, required: boolean): string | undefined {
  const value = fields[name]
  if (value === undefined || value === null || value === '') {
    if (required) throw badRequest(`the field ${name} is required`)
    return undefined
  }
  if (typeof value !== 'string') throw badRequest(`the field ${name} must be a string`)
  return value
}
