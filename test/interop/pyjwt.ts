/**
 * PyJWT (Debian `python3-jwt`) driven from the tests: one `/usr/bin/python3` process per batch of
 * jobs, JSON lines in, one JSON array out. Missing PyJWT skips the interop tests locally and fails
 * them under CI (`.ci/run` installs python3-jwt).
 */
import { spawnSync } from 'node:child_process'

/** Debian's interpreter, where apt installs python3-jwt (the first python3 on PATH may be another one). */
export const PYTHON = '/usr/bin/python3'

/** The PyJWT version, or `undefined` when `/usr/bin/python3` cannot import `jwt`. */
export const pyjwtVersion: string | undefined = (() => {
  const probe = spawnSync(PYTHON, ['-c', 'import jwt, cryptography; print(jwt.__version__)'], {
    encoding: 'utf8',
  })
  return probe.status === 0 ? probe.stdout.trim() : undefined
})()

const SCRIPT = `
import json, sys, jwt
out = []
for line in sys.stdin:
    job = json.loads(line)
    try:
        if job["op"] == "decode":
            claims = jwt.decode(
                job["token"], job["key"], algorithms=[job["alg"]],
                audience=job.get("audience"), issuer=job.get("issuer"), leeway=0,
                options={"require": job.get("require", [])},
            )
            out.append({"ok": True, "claims": claims, "header": jwt.get_unverified_header(job["token"])})
        else:
            token = jwt.encode(job["payload"], job["key"], algorithm=job["alg"], headers=job.get("headers"))
            out.append({"ok": True, "token": token if isinstance(token, str) else token.decode()})
    except Exception as e:
        out.append({"ok": False, "error": type(e).__name__ + ": " + str(e)})
print(json.dumps(out))
`

export type PyJob =
  | {
      op: 'decode'
      token: string
      /** HMAC secret text or a PEM public key. */
      key: string
      alg: string
      audience?: string
      issuer?: string
      require?: string[]
    }
  | {
      op: 'encode'
      payload: Record<string, unknown>
      key: string
      alg: string
      headers?: Record<string, unknown>
    }

export type PyResult =
  | { ok: true; claims?: Record<string, unknown>; header?: Record<string, unknown>; token?: string }
  | { ok: false; error: string }

/** Runs the jobs in one PyJWT process; results in the same order. */
export function pyjwt(jobs: PyJob[]): PyResult[] {
  const run = spawnSync(PYTHON, ['-c', SCRIPT], {
    input: jobs.map((job) => JSON.stringify(job)).join('\n'),
    encoding: 'utf8',
    timeout: 30_000,
  })
  if (run.status !== 0) throw new Error(`PyJWT run failed: ${run.stderr || run.error}`)
  return JSON.parse(run.stdout) as PyResult[]
}
