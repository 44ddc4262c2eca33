// How many demo contacts `npm run db:seed` should ensure: `--count N` (or --count=N), else
// SEED_COUNT, else 100.

export const DEFAULT_SEED_COUNT = 100
export const MAX_SEED_COUNT = 10_000_000

export class SeedCountError extends Error {
  override readonly name = 'SeedCountError'
}

export function parseSeedCount (argv: string[], env: Record<string, string | undefined>): number {
  let raw: string | undefined
  let source = 'SEED_COUNT'
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!
    if (arg === '--count') {
      raw = argv[++i] ?? ''
      source = '--count'
    } else if (arg.startsWith('--count=')) {
      raw = arg.slice('--count='.length)
      source = '--count'
    } else {
      // A typo (--cnt 5) must not silently seed the default count.
      throw new SeedCountError(`Unknown argument "${arg}"; the seed takes --count N (or SEED_COUNT=N)`)
    }
  }
  raw ??= env.SEED_COUNT === '' ? undefined : env.SEED_COUNT
  if (raw === undefined) return DEFAULT_SEED_COUNT
  const count = /^\d{1,8}$/.test(raw) ? Number(raw) : Number.NaN
  if (!Number.isSafeInteger(count) || count > MAX_SEED_COUNT) {
    throw new SeedCountError(`${source} must be a whole number from 0 to ${MAX_SEED_COUNT}; got "${raw}"`)
  }
  return count
}
