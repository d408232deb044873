// Micro benchmark: verify throughput of tokenward vs jose, fast-jwt and jsonwebtoken on the same
// tokens, in one process. Imports the BUILT package. Prints JSON rows.
import { createHmac, createSecretKey, timingSafeEqual } from 'node:crypto'
import { createVerifier as fastVerifier } from 'fast-jwt'
import { generateKeyPair, jwtVerify, SignJWT } from 'jose'
import jsonwebtoken from 'jsonwebtoken'
import { createAuth } from '../../dist/index.js'

const QUICK = process.env.BENCH_QUICK === '1'
const ROUND_MS = QUICK ? 300 : 1000
const ROUNDS = QUICK ? 3 : 5
const DISTINCT = 2000

async function measure(fn) {
  const rates = []
  for (let r = 0; r < ROUNDS; r++) {
    let n = 0
    const start = performance.now()
    while (performance.now() - start < ROUND_MS) {
      for (let i = 0; i < 50; i++) await fn(n++)
    }
    rates.push(n / ((performance.now() - start) / 1000))
  }
  rates.sort((a, b) => a - b)
  return rates[Math.floor(rates.length / 2)]
}

const rows = []
for (const alg of ['HS256', 'ES256', 'EdDSA', 'RS256']) {
  const secret = 'bench-secret-that-is-at-least-32-bytes-long!!'
  let keys
  let joseSign
  let joseVerify
  let peerPublic
  if (alg === 'HS256') {
    keys = { secret }
    joseSign = new TextEncoder().encode(secret)
    joseVerify = joseSign
    peerPublic = secret
  } else {
    const pair = await generateKeyPair(alg, { extractable: true })
    keys = { keys: [{ kid: 'k1', alg, key: pair.privateKey }] }
    joseSign = pair.privateKey
    joseVerify = pair.publicKey
    const { KeyObject } = await import('node:crypto')
    peerPublic = KeyObject.from(pair.publicKey)
  }
  const auth = createAuth({ ...keys, cache: false })
  const cached = createAuth({ ...keys })
  await auth.ready()
  const tokens = []
  for (let i = 0; i < DISTINCT; i++)
    tokens.push((await auth.issueTokens({ sub: `user-${i}`, roles: ['user'] })).accessToken)
  const fast = fastVerifier({
    key: alg === 'HS256' ? secret : peerPublic.export({ format: 'pem', type: 'spki' }),
    algorithms: [alg],
  })
  const fastCached = fastVerifier({
    key: alg === 'HS256' ? secret : peerPublic.export({ format: 'pem', type: 'spki' }),
    algorithms: [alg],
    cache: true,
  })
  const jwtKey = alg === 'HS256' ? createSecretKey(Buffer.from(secret)) : peerPublic
  const row = { alg }
  row.tokenward = await measure((i) => auth.verifyAccessToken(tokens[i % DISTINCT]))
  row.jose = await measure((i) => jwtVerify(tokens[i % DISTINCT], joseVerify))
  row.fastjwt = await measure((i) => fast(tokens[i % DISTINCT]))
  try {
    row.jsonwebtoken = await measure((i) =>
      jsonwebtoken.verify(tokens[i % DISTINCT], jwtKey, { algorithms: [alg] }),
    )
  } catch {
    row.jsonwebtoken = null // jsonwebtoken 9 does not support EdDSA
  }
  row.tokenwardSameToken = await measure(() => cached.verifyAccessToken(tokens[0]))
  row.fastjwtCacheSameToken = await measure(() => fastCached(tokens[0]))
  if (alg === 'HS256') {
    const key = createSecretKey(Buffer.from(secret))
    row.nodeCryptoCeiling = await measure((i) => {
      const t = tokens[i % DISTINCT]
      const dot = t.lastIndexOf('.')
      const mac = createHmac('sha256', key).update(t.slice(0, dot)).digest()
      const sig = Buffer.from(t.slice(dot + 1), 'base64url')
      return (
        sig.length === mac.length &&
        timingSafeEqual(sig, mac) &&
        JSON.parse(Buffer.from(t.split('.')[1], 'base64url').toString())
      )
    })
  }
  row.signTokenwardPairs = await measure((i) => auth.issueTokens({ sub: `s${i}` }))
  row.signJose = await measure((i) =>
    new SignJWT({ sub: `s${i}` }).setProtectedHeader({ alg }).setExpirationTime('15m').sign(joseSign),
  )
  rows.push(row)
  console.error(`${alg} done`)
}
console.log(JSON.stringify(rows))
