/** tokenward/fastify: credentials in (one section of the adapter; src/adapters/fastify.ts re-exports it). */
import type { FastifyReply, FastifyRequest } from 'fastify'
import type { Auth, AuthContext, CredentialsInput, Requirement } from '../../index.js'
import {
  authenticateThen,
  isDpopScheme,
  isPreflight,
  passesAsAnonymous,
  withFoundToken,
} from '../kit/credentials.js'
import { answerFor } from '../kit/errors.js'
import { unmet } from '../kit/guards.js'
import type { AdapterSettings } from '../kit/options.js'
import { sendAnswer } from './errors.js'

/** The URL the client asked for (RFC 9449 `htu`): `trustProxy` decides what protocol and host are. */
export function requestUrl(request: FastifyRequest): string {
  return `${request.protocol}://${request.host}${request.url}`
}

/** authenticate's input: the headers, the method, and the URL for a DPoP request only. */
export function fastifyInput(request: FastifyRequest): CredentialsInput {
  const url = isDpopScheme(request.headers.authorization) ? requestUrl(request) : undefined
  return { headers: request.headers, method: request.method, url }
}

/** What a check ends with: `'next'` (run the route), `'replied'` (an error answer was sent), or an error for Fastify's error handling. */
export type Outcome = 'next' | 'replied' | Error

export type Check = (
  request: FastifyRequest,
  reply: FastifyReply,
  requirement: Requirement | undefined,
  optional: boolean,
  /** Called once, when authentication (and the requirement) settled. */
  finish: (outcome: Outcome) => void,
) => void

export function makeCheck(settings: AdapterSettings<FastifyRequest>, auth: Auth<object, unknown>): Check {
  const { passErrors, getToken, userProperty, callOptions } = settings
  /** An AuthError is answered (→ `'replied'`), or with `passErrors` thrown; anything else is Fastify's (a 500). */
  const refuse = (reply: FastifyReply, err: unknown): Outcome => {
    const answer = passErrors ? undefined : answerFor(err)
    if (!answer) return err instanceof Error ? err : new Error(String(err))
    sendAnswer(reply, answer)
    return 'replied'
  }
  const authorized = (request: FastifyRequest, reply: FastifyReply, requirement: Requirement | undefined) => {
    const err = unmet(auth, request.auth!, requirement)
    return err ? refuse(reply, err) : 'next'
  }
  const accepted = (
    request: FastifyRequest,
    reply: FastifyReply,
    requirement: Requirement | undefined,
    ctx: AuthContext<object, unknown>,
  ) => {
    request.auth = ctx
    if (userProperty !== false) (request as unknown as Record<string, unknown>)[userProperty] = ctx.user
    return authorized(request, reply, requirement)
  }
  const refused = (reply: FastifyReply, optional: boolean, err: unknown): Outcome =>
    passesAsAnonymous(optional, err) ? 'next' : refuse(reply, err)
  const run = (
    request: FastifyRequest,
    reply: FastifyReply,
    requirement: Requirement | undefined,
    optional: boolean,
    finish: (outcome: Outcome) => void,
    input: CredentialsInput,
  ) =>
    authenticateThen(
      auth,
      input,
      callOptions,
      (ctx) => finish(accepted(request, reply, requirement, ctx)),
      (err) => finish(refused(reply, optional, err)),
    )
  return (request, reply, requirement, optional, finish) => {
    if (request.auth) {
      finish(authorized(request, reply, requirement))
      return
    }
    if (isPreflight(request.method, request.headers['access-control-request-method'])) {
      finish('next')
      return
    }
    if (getToken === undefined) {
      run(request, reply, requirement, optional, finish, fastifyInput(request))
      return
    }
    // The app's getToken threw or rejected: Fastify's error handling (a 500).
    withFoundToken(
      getToken,
      request,
      () => fastifyInput(request),
      (input) => run(request, reply, requirement, optional, finish, input),
      (err) => finish(err instanceof Error ? err : new Error(String(err))),
    )
  }
}

/**
 * A preHandler over `check` that works both ways: Fastify passes `done` and gets the callback style
 * (the route runs as soon as authentication settles, with no extra promise); a direct call
 * `await app.authenticate(request, reply)` gets a promise.
 */
export function hook(check: Check, requirement: Requirement | undefined, optional: boolean) {
  return function tokenwardPreHandler(
    this: unknown,
    request: FastifyRequest,
    reply: FastifyReply,
    done?: (err?: Error) => void,
  ): Promise<unknown> {
    if (typeof done === 'function') {
      check(request, reply, requirement, optional, (outcome) => {
        if (outcome === 'next') done()
        else if (outcome !== 'replied') done(outcome)
      })
      // Fastify runs the callback style when a hook returns no promise.
      return undefined as unknown as Promise<unknown>
    }
    return new Promise((resolve, reject) => {
      check(request, reply, requirement, optional, (outcome) => {
        if (outcome === 'next') resolve(undefined)
        else if (outcome === 'replied') resolve(reply)
        else reject(outcome)
      })
    })
  }
}
