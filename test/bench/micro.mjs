// Micro benchmark: verify and sign throughput of tokenward vs jose, fast-jwt and jsonwebtoken on
// the same tokens, in one process. Imports the BUILT package. Every contender runs once per round,
// in rotating order, so a noisy neighbour slows all of them alike; the ratio to fast-jwt is taken
// within each round, then the median across rounds. Prints JSON rows.
import { createHmac, createSecretKey, KeyObject, timingSafeEqual } from 'node:crypto'
import { createVerifier as fastVerifier } from 'fast-jwt'
import { generateKeyPair, jwtVerify, SignJWT } from 'jose'
import jsonwebtoken from 'jsonwebtoken'
import { createAuth, memoryStore } from '../../dist/index.js'
import { median, QUICK, sessionless } from './lib.mjs'

const ROUND_MS = QUICK ? 100 : 200
const ROUNDS = QUICK ? 3 : 15
const DISTINCT = 2000

async function rate(fn) {
  let n = 0
  const start = performance.now()
  while (performance.now() - start < ROUND_MS) {
    for (let i = 0; i < 50; i++) await fn(n++)
  }
  return n / ((performance.now() - start) / 1000)
}

/** Runs every contender once per round, rotating the order. Returns ops/s per round. */
async function interleaved(contenders) {
  const names = Object.keys(contenders)
  const rates = Object.fromEntries(names.map((name) => [name, []]))
  for (const name of names) await rate(contenders[name]) // warm-up: JIT
  for (let r = 0; r < ROUNDS; r++) {
    for (let i = 0; i < names.length; i++) {
      const name = names[(i + r) % names.length]
      rates[name].push(await rate(contenders[name]))
    }
  }
  return rates
}

const ratioOf = (a, b) => median(a.map((x, i) => x / b[i]))

const rows = []
for (const alg of ['HS256', 'ES256', 'EdDSA', 'RS256']) {
  const secret = 'bench-secret-that-is-at-least-32-bytes-long!!'
  let keys
  let joseSign
  let joseVerify
  let peerKey
  if (alg === 'HS256') {
    keys = { secret }
    joseSign = new TextEncoder().encode(secret)
    joseVerify = joseSign
    peerKey = secret
  } else {
    const pair = await generateKeyPair(alg, { extractable: true })
    keys = { keys: [{ kid: 'k1', alg, key: pair.privateKey }] }
    joseSign = pair.privateKey
    joseVerify = pair.publicKey
    peerKey = KeyObject.from(pair.publicKey).export({ format: 'pem', type: 'spki' })
  }
  const auth = createAuth({ ...keys, cache: false, store: sessionless(memoryStore()) })
  const cached = createAuth({ ...keys, store: sessionless(memoryStore()) })
  await auth.ready()
  await cached.ready()
  const tokens = []
  for (let i = 0; i < DISTINCT; i++)
    tokens.push((await auth.issueTokens({ sub: `user-${i}`, roles: ['user'] })).accessToken)
  const fast = fastVerifier({ key: peerKey, algorithms: [alg] })
  const fastCached = fastVerifier({ key: peerKey, algorithms: [alg], cache: true })
  // jsonwebtoken at its best: a KeyObject made once (with a string secret it is ~40× slower).
  const jwtKey = alg === 'HS256' ? createSecretKey(Buffer.from(secret)) : KeyObject.from(joseVerify)
  const token = (i) => tokens[i % DISTINCT]

  const distinct = {
    tokenward: (i) => auth.verifyAccessToken(token(i)),
    fastjwt: (i) => fast(token(i)),
    jose: (i) => jwtVerify(token(i), joseVerify),
  }
  if (alg !== 'EdDSA')
    distinct.jsonwebtoken = (i) => jsonwebtoken.verify(token(i), jwtKey, { algorithms: [alg] })
  if (alg === 'HS256') {
    const key = createSecretKey(Buffer.from(secret))
    // The ceiling: a bare node:crypto HMAC check and JSON.parse, no claim checks at all.
    distinct.ceiling = (i) => {
      const t = token(i)
      const dot = t.lastIndexOf('.')
      const mac = createHmac('sha256', key).update(t.slice(0, dot)).digest()
      const sig = Buffer.from(t.slice(dot + 1), 'base64url')
      return (
        sig.length === mac.length &&
        timingSafeEqual(sig, mac) &&
        JSON.parse(Buffer.from(t.split('.')[1], 'base64url').toString())
      )
    }
  }
  const d = await interleaved(distinct)
  const same = await interleaved({
    tokenward: () => cached.verifyAccessToken(tokens[0]),
    fastjwt: () => fastCached(tokens[0]),
  })
  const sign = await interleaved({
    tokenward: (i) => auth.issueTokens({ sub: `s${i}` }),
    jose: (i) =>
      new SignJWT({ sub: `s${i}` }).setProtectedHeader({ alg }).setExpirationTime('15m').sign(joseSign),
  })
  rows.push({
    alg,
    verify: Object.fromEntries(Object.entries(d).map(([k, v]) => [k, median(v)])),
    verifyRatio: ratioOf(d.tokenward, d.fastjwt),
    sameToken: { tokenward: median(same.tokenward), fastjwt: median(same.fastjwt) },
    sameTokenRatio: ratioOf(same.tokenward, same.fastjwt),
    sign: { tokenwardPairs: median(sign.tokenward), jose: median(sign.jose) },
    signRatio: ratioOf(
      sign.tokenward.map((x) => 2 * x),
      sign.jose,
    ),
  })
  console.error(`micro ${alg} done`)
}
console.log(JSON.stringify({ rounds: ROUNDS, roundMs: ROUND_MS, rows }))
