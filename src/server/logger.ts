// Fastify's logger options: JSON lines in production and tests (for log pipelines), readable
// coloured lines through pino-pretty in development. pino-pretty runs in this thread
// (sync), so the last lines before an exit are never lost in a worker.
import type { FastifyServerOptions } from 'fastify'
import type { AppConfig } from '../config.js'

export async function loggerOptions (config: Pick<AppConfig, 'NODE_ENV' | 'LOG_LEVEL'>): Promise<Exclude<FastifyServerOptions['logger'], boolean | undefined>> {
  if (config.NODE_ENV !== 'development') return { level: config.LOG_LEVEL }
  const { default: pretty } = await import('pino-pretty')
  return {
    level: config.LOG_LEVEL,
    stream: pretty({ sync: true, colorize: process.stdout.isTTY, translateTime: 'HH:MM:ss.l', ignore: 'pid,hostname' })
  }
}
