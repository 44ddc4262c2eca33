// Service configuration: read once from the environment, validated, typed.
// A bad value stops start-up with one line naming the variable, the value and what is accepted.
import { Type, type Static, type TSchema } from '@sinclair/typebox'
import { Value } from '@sinclair/typebox/value'
import { isIP } from 'node:net'

const Port = Type.Integer({ minimum: 0, maximum: 65535, description: 'an integer from 0 to 65535' })

export const ConfigSchema = Type.Object({
  NODE_ENV: Type.Union([Type.Literal('development'), Type.Literal('production'), Type.Literal('test')], { default: 'development', description: 'development, production or test' }),
  HOST: Type.String({ minLength: 1, default: '127.0.0.1', description: 'a host name or IP address to listen on' }),
  PORT: Type.Integer({ ...Port, default: 3000 }),
  LOG_LEVEL: Type.Union(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].map((l) => Type.Literal(l)), { default: 'info', description: 'fatal, error, warn, info, debug, trace or silent' }),
  DATABASE_URL: Type.Optional(Type.String({ pattern: '^postgres(ql)?://', description: 'a postgres:// or postgresql:// URL (unset: embedded PGlite in DATA_DIR)' })),
  DATA_DIR: Type.String({ minLength: 1, default: './data', description: 'a folder path for the embedded database' }),
  DEMO_CONTACTS: Type.Integer({ minimum: 0, maximum: 1_000_000, default: 100, description: 'an integer from 0 to 1000000 (contacts seeded into a new embedded database)' }),
  CONTACTS_PAGE_SIZE: Type.Integer({ minimum: 1, maximum: 100, default: 3, description: 'an integer from 1 to 100' }),
  CONTACTS_CACHE_TTL_MS: Type.Integer({ minimum: 0, maximum: 3_600_000, default: 1000, description: 'an integer from 0 to 3600000 (milliseconds a rendered contacts page is reused; 0 turns the cache off)' }),
  REDIS_URL: Type.Optional(Type.String({ pattern: '^rediss?://', description: 'a redis:// or rediss:// URL (unset: in-process broker)' })),
  REDIS_CLUSTER_NODES: Type.Optional(Type.String({ pattern: '^rediss?://[^,\\s]+(,rediss?://[^,\\s]+)*$', description: 'comma-separated redis:// URLs of Redis Cluster nodes (Redis >= 7; instead of REDIS_URL)' })),
  CHANNEL_PREFIX: Type.String({ default: '', pattern: '^[A-Za-z0-9:_.-]*$', description: 'letters, digits and : _ . - (prefixes every channel and history key)' }),
  LIVE_HISTORY_SIZE: Type.Integer({ minimum: 1, maximum: 1_000_000, default: 1000, description: 'an integer from 1 to 1000000 (messages kept per channel for replay)' }),
  SSE_HEARTBEAT_MS: Type.Integer({ minimum: 50, maximum: 300_000, default: 20_000, description: 'an integer from 50 to 300000 (milliseconds between heartbeat comments)' }),
  SSE_RETRY_MS: Type.Integer({ minimum: 0, maximum: 600_000, default: 2000, description: 'an integer from 0 to 600000 (reconnect delay sent to browsers)' }),
  SSE_MAX_QUEUE_BYTES: Type.Integer({ minimum: 1024, maximum: 1 << 30, default: 1 << 20, description: 'an integer from 1024 to 1073741824 (bytes buffered for one slow client before it is disconnected)' }),
  SECRET_KEYS: Type.Optional(Type.String({ pattern: '^[^,\\s]{32,}(,[^,\\s]{32,})*$', description: 'comma-separated secrets, each at least 32 characters without spaces (the first signs, all verify; unset: a random key per process, refused when NODE_ENV=production)' })),
  NOTIFICATIONS_TOKEN: Type.Optional(Type.String({ minLength: 16, pattern: '^[!-~]+$', description: 'a secret of at least 16 printable characters without spaces (bearer token for POST /notifications)' })),
  LIVE_PUBLISH_TOKEN: Type.Optional(Type.String({ minLength: 16, pattern: '^[!-~]+$', description: 'a secret of at least 16 printable characters without spaces (bearer token for POST /live/publish/<component>; unset: that route answers 401)' })),
  DEMO_PUBLISHER: Type.Union([Type.Literal('auto'), Type.Literal('on'), Type.Literal('off')], { default: 'auto', description: 'auto (on with the in-process broker), on or off' }),
  DEMO_PUBLISH_INTERVAL_MS: Type.Integer({ minimum: 100, maximum: 3_600_000, default: 3000, description: 'an integer from 100 to 3600000' }),
  REDIS_COMMAND_TIMEOUT_MS: Type.Integer({ minimum: 100, maximum: 60_000, default: 2000, description: 'an integer from 100 to 60000 (longest wait for one Redis command before the request gets 503)' }),
  DB_CONNECT_TIMEOUT_MS: Type.Integer({ minimum: 100, maximum: 60_000, default: 5000, description: 'an integer from 100 to 60000 (longest wait for a PostgreSQL connection)' }),
  DB_QUERY_TIMEOUT_MS: Type.Integer({ minimum: 100, maximum: 600_000, default: 5000, description: 'an integer from 100 to 600000 (longest wait for one PostgreSQL query; also its statement_timeout)' }),
  STREAMS_PER_CLIENT: Type.Integer({ minimum: 1, maximum: 1_000_000, default: 100, description: 'an integer from 1 to 1000000 (concurrent SSE streams one client address may hold)' }),
  STREAMS_MAX: Type.Optional(Type.Integer({ minimum: 1, maximum: 10_000_000, description: 'an integer from 1 to 10000000 (concurrent SSE streams of the whole process; unset: 80% of the open-file limit)' })),
  CONNECTIONS_PER_CLIENT: Type.Optional(Type.Integer({ minimum: 1, maximum: 10_000_000, description: 'an integer from 1 to 10000000 (open TCP connections one client address may hold, checked when the socket is accepted; unset: STREAMS_PER_CLIENT + 64, at least 256)' })),
  CONNECTIONS_MAX: Type.Optional(Type.Integer({ minimum: 1, maximum: 10_000_000, description: 'an integer from 1 to 10000000 (open TCP connections of the whole process; unset: 90% of the open-file limit)' })),
  HEADERS_TIMEOUT_MS: Type.Integer({ minimum: 1000, maximum: 600_000, default: 10_000, description: 'an integer from 1000 to 600000 (longest time a client may take to send a request\'s headers)' }),
  REQUEST_TIMEOUT_MS: Type.Integer({ minimum: 1000, maximum: 3_600_000, default: 30_000, description: 'an integer from 1000 to 3600000 (longest time a client may take to send a whole request, body included; open SSE streams are not cut)' }),
  KEEP_ALIVE_TIMEOUT_MS: Type.Integer({ minimum: 1000, maximum: 600_000, default: 10_000, description: 'an integer from 1000 to 600000 (how long an idle keep-alive connection is kept open)' }),
  TRUST_PROXY: Type.Optional(Type.String({ pattern: '^(true|false|\\d{1,2}|[0-9A-Fa-f:./]+(,[0-9A-Fa-f:./]+)*)$', description: 'true, false, a hop count (1-99), or comma-separated proxy addresses/CIDRs (whose X-Forwarded-For to believe)' })),
  RATE_LIMIT_PUBLISH_PER_MIN: Type.Integer({ minimum: 1, maximum: 10_000_000, default: 600, description: 'an integer from 1 to 10000000 (POST /notifications and POST /live/publish/<component> per client address per minute)' }),
  RATE_LIMIT_STREAM_OPENS_PER_MIN: Type.Integer({ minimum: 1, maximum: 10_000_000, default: 600, description: 'an integer from 1 to 10000000 (stream opens per client address per minute)' }),
  SHUTDOWN_GRACE_MS: Type.Integer({ minimum: 0, maximum: 600_000, default: 10_000, description: 'an integer from 0 to 600000 (time allowed for a graceful shutdown)' }),
  TLS_CERT: Type.Optional(Type.String({ minLength: 1, description: 'the path of a PEM certificate (chain); with TLS_KEY the service speaks HTTPS with HTTP/2 and HTTP/1.1 (ALPN)' })),
  TLS_KEY: Type.Optional(Type.String({ minLength: 1, description: 'the path of the PEM private key of TLS_CERT' })),
  HTMX_VERSION: Type.Union([Type.Literal('2'), Type.Literal('4')], { default: '2', description: '2 (htmx 2 with htmx-ext-sse) or 4 (htmx 4 with its hx-sse extension)' }),
  LIVE_TOKEN_TTL_MS: Type.Integer({ minimum: 1000, maximum: 604_800_000, default: 3_600_000, description: 'an integer from 1000 to 604800000 (how long a page stream token stays valid before the page renews it)' }),
  PRESENCE_TTL_MS: Type.Integer({ minimum: 300, maximum: 3_600_000, default: 30_000, description: 'an integer from 300 to 3600000 (how long a visitor counts as present without a renewal: after an instance dies, its visitors leave the presence counts within this plus a third of it)' }),
  METRICS_TOKEN: Type.Optional(Type.String({ minLength: 16, pattern: '^[!-~]+$', description: 'a secret of at least 16 printable characters without spaces (bearer token for GET /metrics)' })),
  METRICS_PORT: Type.Optional(Type.Integer({ ...Port, description: 'an integer from 0 to 65535 (serves GET /metrics without a token on its own port, on HOST)' }))
})

export type AppConfig = Static<typeof ConfigSchema>

export class ConfigError extends Error {
  constructor (readonly variable: string, readonly value: unknown, readonly accepted: string) {
    super(`Invalid configuration: ${variable}=${JSON.stringify(value)} is not accepted; expected ${accepted}`)
    this.name = 'ConfigError'
  }
}

function convert (schema: TSchema, raw: string): unknown {
  // Numbers must be written as plain integers: "3000", not "3e3", "0x10" or " 3000 ".
  if (schema.type === 'integer') return /^-?\d+$/.test(raw) ? Number(raw) : raw
  return raw
}

/** TRUST_PROXY addresses and CIDR ranges must be real ones: a bad one would stop start-up with a stack trace deep in proxy-addr. */
function checkTrustProxy (value: unknown): void {
  if (typeof value !== 'string' || value === 'true' || value === 'false' || /^\d+$/.test(value)) return
  for (const part of value.split(',')) {
    const [address = '', prefix, extra] = part.split('/')
    const version = isIP(address)
    const bits = version === 4 ? 32 : 128
    if (version === 0 || extra !== undefined || (prefix !== undefined && !(/^\d{1,3}$/.test(prefix) && Number(prefix) <= bits))) {
      throw new ConfigError('TRUST_PROXY', value, `true, false, a hop count, or comma-separated IP addresses / CIDR ranges; ${JSON.stringify(part)} is not an IPv4/IPv6 address with an optional /prefix`)
    }
  }
}

/**
 * Builds the configuration from environment-like input. Unknown variables are ignored,
 * empty strings count as unset. Throws ConfigError on the first bad variable.
 */
export function loadConfig (env: Record<string, string | undefined> = process.env, overrides: Partial<AppConfig> = {}): AppConfig {
  const config: Record<string, unknown> = {}
  for (const [name, schema] of Object.entries(ConfigSchema.properties) as Array<[string, TSchema]>) {
    const raw = env[name]
    const value = name in overrides
      ? (overrides as Record<string, unknown>)[name]
      : (raw === undefined || raw === '' ? schema.default : convert(schema, raw))
    if (value === undefined) continue
    if (!Value.Check(schema, value)) {
      throw new ConfigError(name, raw ?? value, schema.description ?? 'a valid value')
    }
    config[name] = value
  }
  checkTrustProxy(config.TRUST_PROXY)
  // Both servers would bind the same port: the second would fail with a misleading "in use".
  if (config.METRICS_PORT !== undefined && config.METRICS_PORT !== 0 && config.METRICS_PORT === config.PORT) {
    throw new ConfigError('METRICS_PORT', config.METRICS_PORT, `a port other than PORT (${String(config.PORT)}): /metrics is then served on PORT with METRICS_TOKEN, so leave METRICS_PORT unset for that`)
  }
  checkConnectionCaps(config)
  return config as AppConfig
}

/** The caps must leave room for each other (a stream is a connection too), and so must the timers. */
function checkConnectionCaps (config: Record<string, unknown>): void {
  const streamsPerClient = config.STREAMS_PER_CLIENT as number
  const perClient = config.CONNECTIONS_PER_CLIENT as number | undefined
  if (perClient !== undefined && perClient < streamsPerClient) {
    throw new ConfigError('CONNECTIONS_PER_CLIENT', perClient, `at least STREAMS_PER_CLIENT (${streamsPerClient}): every stream holds a connection; raise CONNECTIONS_PER_CLIENT or lower STREAMS_PER_CLIENT`)
  }
  if ((config.HEADERS_TIMEOUT_MS as number) > (config.REQUEST_TIMEOUT_MS as number)) {
    throw new ConfigError('HEADERS_TIMEOUT_MS', config.HEADERS_TIMEOUT_MS, `at most REQUEST_TIMEOUT_MS (${String(config.REQUEST_TIMEOUT_MS)}): the headers are part of the request`)
  }
  const max = config.CONNECTIONS_MAX as number | undefined
  const streamsMax = config.STREAMS_MAX as number | undefined
  if (max !== undefined && streamsMax !== undefined && streamsMax >= max) {
    throw new ConfigError('STREAMS_MAX', streamsMax, `less than CONNECTIONS_MAX (${max}): streams must leave connections for /health, pages and fragments`)
  }
}
