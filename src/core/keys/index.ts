/**
 * Secrets, key sets, kid rotation, JWKS publishing and remote JWKS. Every key is imported ONCE, when
 * `createAuth` runs; verification later only picks an already-built verifier.
 */
import { calculateJwkThumbprint, exportJWK, importJWK, importPKCS8, importSPKI, type JWK } from 'jose'
import type { ErrorSink } from '../errors.js'
import { keyImportError } from './errors.js'
import { indexKeys, isCryptoKey, isHmac, isJwk, publicOnly, refuseWeakRsa, secretBytes } from './material.js'
import { type Algorithm, createSigner, createVerifier, type KeyMaterial } from './signature.js'
import { externalKeySet } from './sources.js'
import type {
  AsymmetricAlgorithm,
  JSONWebKeySet,
  KeyInput,
  KeyOptions,
  KeySet,
  ResolvedKey,
} from './types.js'

export { keyMaterialKind } from './material.js'
export { isPrivateKeyInput, validateKeyOptions } from './options.js'
export * from './types.js'

async function importAsymmetric(
  value: string | CryptoKey | JWK,
  alg: AsymmetricAlgorithm,
  what: string,
): Promise<{ key: CryptoKey; isPrivate: boolean }> {
  let imported: { key: CryptoKey; isPrivate: boolean }
  if (isCryptoKey(value)) {
    imported = { key: value, isPrivate: value.type === 'private' }
  } else {
    try {
      imported = await importMaterial(value, alg)
    } catch (err) {
      throw await keyImportError(value, alg, what, err, (other) => importMaterial(value, other))
    }
  }
  // The native backend verifies without jose, so jose's own key-size check never runs: ours does.
  refuseWeakRsa(imported.key, what)
  return imported
}

async function importMaterial(
  value: string | JWK,
  alg: AsymmetricAlgorithm,
): Promise<{ key: CryptoKey; isPrivate: boolean }> {
  if (typeof value === 'string') {
    const isPrivate = value.includes('PRIVATE KEY')
    const key = isPrivate
      ? await importPKCS8(value, alg, { extractable: true })
      : await importSPKI(value, alg, { extractable: true })
    return { key, isPrivate }
  }
  const key = await importJWK({ ...value, ext: true }, alg)
  if (key instanceof Uint8Array) throw new TypeError('a symmetric (oct) JWK is an HMAC secret')
  return { key, isPrivate: typeof value.d === 'string' }
}

async function resolveKey(input: KeyInput, index: number): Promise<ResolvedKey> {
  const alg = (isJwk(input) ? input.alg : input.alg) as Algorithm
  let material: KeyMaterial
  let publicJwk: JWK | undefined
  if (isHmac(alg)) {
    const secret = secretBytes((input as { key: string | Uint8Array }).key, alg, `keys[${index}].key`)
    const key = await crypto.subtle.importKey(
      'raw',
      secret as BufferSource,
      { name: 'HMAC', hash: `SHA-${alg.slice(2)}` },
      false,
      ['sign', 'verify'],
    )
    material = { alg, verifyKey: key, signKey: key, secret }
  } else {
    const source = isJwk(input) ? input : input.key
    if (source instanceof Uint8Array)
      throw new TypeError(`tokenward: keys[${index}] (${alg}) must be PEM, JWK or CryptoKey`)
    const { key, isPrivate } = await importAsymmetric(
      source as string | CryptoKey | JWK,
      alg as AsymmetricAlgorithm,
      `keys[${index}]`,
    )
    let verifyKey = key
    if (isPrivate) {
      const explicit = isJwk(input) ? undefined : input.publicKey
      if (explicit !== undefined) {
        verifyKey = (await importAsymmetric(explicit, alg as AsymmetricAlgorithm, `keys[${index}].publicKey`))
          .key
      } else {
        if (!key.extractable) {
          throw new TypeError(
            `tokenward: keys[${index}] is a non-extractable private CryptoKey: give its \`publicKey\` too`,
          )
        }
        const pub = publicOnly(await exportJWK(key))
        verifyKey = (await importAsymmetric(pub, alg as AsymmetricAlgorithm, `keys[${index}]`)).key
      }
    }
    publicJwk = publicOnly(await exportJWK(verifyKey))
    material = { alg, verifyKey, ...(isPrivate ? { signKey: key } : {}) }
  }
  const kid = input.kid ?? (publicJwk ? await calculateJwkThumbprint(publicJwk) : undefined)
  const { verify, backend } = createVerifier(material)
  return {
    kid,
    alg,
    verify,
    backend,
    ...(material.signKey ? { sign: createSigner(material) } : {}),
    ...(publicJwk ? { publicJwk: { ...publicJwk, kid, alg, use: 'sig' } } : {}),
  }
}

/**
 * Imports every configured key (call once, at `createAuth`). `issuers`: the configured `issuer`
 * list; `emit`: reports a throw of the `keyResolver` as an `error` event.
 */
export async function loadKeySet(
  options: KeyOptions,
  issuers?: readonly string[],
  emit?: ErrorSink,
): Promise<KeySet> {
  if (options.jwks !== undefined || options.keyResolver !== undefined)
    return externalKeySet(options, issuers, emit)
  const inputs: KeyInput[] =
    options.secret !== undefined
      ? [{ alg: options.algorithm ?? 'HS256', key: options.secret } as KeyInput]
      : [...(options.keys ?? [])]
  const keys = await Promise.all(inputs.map((input, i) => resolveKey(input, i)))
  return indexKeys(keys)
}

/** The public JWK Set of a key set: asymmetric keys only, public members only. */
export function publicJwks(keySet: KeySet): JSONWebKeySet {
  const keys: JWK[] = []
  const seen = new Set<ResolvedKey>()
  for (const list of keySet.byAlg.values()) {
    for (const key of list) {
      if (key.publicJwk && !seen.has(key)) {
        seen.add(key)
        keys.push({ ...key.publicJwk })
      }
    }
  }
  return { keys }
}
