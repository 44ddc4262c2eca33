// Server secrets (SECRET_KEYS): comma-separated, each at least 32 characters. The first one
// signs, every one verifies, so a key can be rotated in without logging anyone out: add the new
// key first, keep the old one after it until what it signed has expired, then drop it.
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto'

export interface SecretKeysConfig {
  NODE_ENV: string
  SECRET_KEYS?: string | undefined
}

export interface SecretKeys {
  /** base64url HMAC-SHA256 of data under the first key. */
  sign (data: string): string
  /** True when mac is the HMAC of data under any of the keys (timing-safe). */
  verify (data: string, mac: string): boolean
  /** The keys, signing key first (e.g. for @fastify/cookie's `secret`). */
  readonly secrets: readonly string[]
}

interface WarnLogger {
  warn (obj: object, msg?: string): void
}

export const MIN_SECRET_LENGTH = 32

// One random key per process when SECRET_KEYS is unset, shared by every caller (cookies and
// stream tokens must agree), and one warning.
let processKey: string | undefined
let warned = false

function secretsOf (config: SecretKeysConfig, log: WarnLogger): string[] {
  const raw = config.SECRET_KEYS
  if (raw === undefined || raw === '') {
    if (config.NODE_ENV === 'production') {
      throw new Error('SECRET_KEYS is not set: in production set SECRET_KEYS to one or more comma-separated secrets of at least 32 characters (the same on every instance)')
    }
    processKey ??= randomBytes(32).toString('base64url')
    if (!warned) {
      warned = true
      log.warn({}, 'SECRET_KEYS is not set: using a random key for this process only (sessions and stream tokens end with it; several instances must share SECRET_KEYS)')
    }
    return [processKey]
  }
  const keys = raw.split(',')
  if (keys.some((key) => key.length < MIN_SECRET_LENGTH)) {
    throw new Error(`SECRET_KEYS: every comma-separated secret must be at least ${MIN_SECRET_LENGTH} characters`)
  }
  return keys
}

function hmac (key: string, data: string): Buffer {
  return createHmac('sha256', key).update(data).digest()
}

export function loadSecretKeys (config: SecretKeysConfig, log: WarnLogger): SecretKeys {
  const secrets = secretsOf(config, log)
  return {
    secrets,
    sign: (data) => hmac(secrets[0] as string, data).toString('base64url'),
    verify (data, mac) {
      const given = Buffer.from(mac, 'base64url')
      // Check every key (no early exit), so the time taken says nothing about which one matched.
      let ok = false
      for (const key of secrets) {
        const expected = hmac(key, data)
        if (given.length === expected.length && timingSafeEqual(given, expected)) ok = true
      }
      return ok
    }
  }
}
