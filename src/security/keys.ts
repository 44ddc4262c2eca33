// The app's secrets (SECRET_KEYS): comma-separated, each >= 32 characters; the first signs, all
// verify, so a key can be rotated by putting the new one first and dropping the old one later.
// Unset: in development a key kept under node_modules/.cache (survives restarts), otherwise one
// random key per process (fine for a single process; instances behind a load balancer
// must share SECRET_KEYS), with a warning logged once. In production, unset refuses to start.
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto'
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { projectRoot } from '../paths.js'
import type { AppConfig } from '../config.js'

export interface SecretKeys {
  /** HMAC-SHA256 of data with the first key, base64url. */
  sign: (data: string) => string
  /** Whether mac is the HMAC of data under any of the keys (timing-safe). */
  verify: (data: string, mac: string) => boolean
  /** The keys, signing key first (e.g. for @fastify/cookie's `secret`). */
  readonly secrets: readonly string[]
}

interface KeyLogger {
  warn: (message: string) => void
}

export const MIN_SECRET_LENGTH = 32

/** Where a development key is kept between runs: inside node_modules, never committed or shipped. */
export const DEVELOPMENT_KEY_FILE = join(projectRoot, 'node_modules', '.cache', 'fastify-live-components', 'development-secret-key')

/** The development key, created on first use; undefined when it cannot be kept (read-only tree, …). */
function developmentKey (): string | undefined {
  try {
    const key = readFileSync(DEVELOPMENT_KEY_FILE, 'utf8').trim()
    if (key.length >= MIN_SECRET_LENGTH) return key
  } catch {
    // not created yet
  }
  try {
    const key = randomBytes(32).toString('base64url')
    mkdirSync(dirname(DEVELOPMENT_KEY_FILE), { recursive: true })
    writeFileSync(DEVELOPMENT_KEY_FILE, key + '\n', { mode: 0o600 })
    return key
  } catch {
    return undefined
  }
}

// One random key for the whole process: every user of the keys (cookies, tokens) must agree.
let processKey: string | undefined
let warned = false

/** The secrets as a list, first = signing key (what @fastify/cookie takes as `secret`). */
export function secretKeyList (config: Pick<AppConfig, 'SECRET_KEYS' | 'NODE_ENV'>, log: KeyLogger): string[] {
  const given = (config.SECRET_KEYS ?? '').split(',').map((key) => key.trim()).filter((key) => key !== '')
  const short = given.findIndex((key) => key.length < MIN_SECRET_LENGTH)
  if (short !== -1) throw new Error(`SECRET_KEYS: secret number ${short + 1} is shorter than ${MIN_SECRET_LENGTH} characters; use long random secrets (e.g. openssl rand -base64 48)`)
  if (given.length > 0) return given
  if (config.NODE_ENV === 'production') {
    throw new Error('SECRET_KEYS is required when NODE_ENV=production: set it to one or more comma-separated secrets of at least 32 characters (e.g. openssl rand -base64 48), the same on every instance')
  }
  if (processKey === undefined) {
    // In development the key outlives the process, so open pages (sessions, forms, stream
    // tokens) keep working across restarts (`npm run dev` restarts on every edit).
    const kept = config.NODE_ENV === 'development' ? developmentKey() : undefined
    processKey = kept ?? randomBytes(32).toString('base64url')
    if (!warned) {
      warned = true
      log.warn(kept !== undefined
        ? `SECRET_KEYS is not set: using a development key kept in ${DEVELOPMENT_KEY_FILE} (several instances, and production, must set SECRET_KEYS)`
        : 'SECRET_KEYS is not set: using a random key for this process only (sessions and forms break on restart; several instances must share SECRET_KEYS)')
    }
  }
  return [processKey]
}

export function loadSecretKeys (config: Pick<AppConfig, 'SECRET_KEYS' | 'NODE_ENV'>, log: KeyLogger): SecretKeys {
  const keys = secretKeyList(config, log)
  const mac = (key: string, data: string): Buffer => createHmac('sha256', key).update(data).digest()
  return {
    secrets: keys,
    sign: (data) => mac(keys[0] as string, data).toString('base64url'),
    verify (data, given) {
      const candidate = Buffer.from(given, 'base64url')
      let ok = false
      // Every key is tried (no early exit), so timing says nothing about which one matched.
      for (const key of keys) {
        const expected = mac(key, data)
        if (candidate.length === expected.length && timingSafeEqual(candidate, expected)) ok = true
      }
      return ok
    }
  }
}
