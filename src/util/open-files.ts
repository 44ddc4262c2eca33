// The process's open-file limit (RLIMIT_NOFILE soft limit): every socket is a file, so it is
// the real ceiling on concurrent connections. Node has no API for it; Linux shows it in /proc.
import { readFileSync } from 'node:fs'

/** The soft limit, or null when it cannot be read (not Linux) or is unlimited. */
export function openFileLimit (): number | null {
  try {
    const line = readFileSync('/proc/self/limits', 'utf8').split('\n').find((l) => l.startsWith('Max open files'))
    const soft = line?.slice('Max open files'.length).trim().split(/\s+/)[0]
    return soft !== undefined && /^\d+$/.test(soft) ? Number(soft) : null
  } catch {
    return null
  }
}

/** Share of the open-file limit SSE streams may use; the rest stays for /health, pages, DB and Redis. */
export const STREAM_SHARE_OF_FILES = 0.8
/** Used when the limit cannot be read: the common default soft limit. */
export const FALLBACK_FILE_LIMIT = 1024

/** Default process-wide stream cap (STREAMS_MAX unset). */
export function defaultStreamsMax (limit = openFileLimit()): number {
  return Math.max(1, Math.floor((limit ?? FALLBACK_FILE_LIMIT) * STREAM_SHARE_OF_FILES))
}

/** Share of the open-file limit TCP connections may use; the rest stays for PostgreSQL, Redis, logs and files. */
export const CONNECTION_SHARE_OF_FILES = 0.9

/** Default process-wide connection cap (CONNECTIONS_MAX unset): above the stream cap, below the file limit. */
export function defaultConnectionsMax (limit = openFileLimit()): number {
  return Math.max(2, Math.floor((limit ?? FALLBACK_FILE_LIMIT) * CONNECTION_SHARE_OF_FILES))
}

/** Default per-address connection cap (CONNECTIONS_PER_CLIENT unset): the address's streams plus room for pages and fragments. */
export function defaultConnectionsPerClient (streamsPerClient: number): number {
  return Math.max(256, streamsPerClient + 64)
}
