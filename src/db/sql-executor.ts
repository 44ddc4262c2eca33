// The few SQL operations the migration runner needs, over one database session.
// One interface lets the same runner work on PostgreSQL (pg) and on the embedded PGlite.
import type pg from 'pg'
import type { PGlite } from '@electric-sql/pglite'

export interface SqlExecutor {
  /** Runs one statement with $1, $2… parameters and returns its rows. */
  query<Row = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<Row[]>
  /** Runs a script of one or more statements (no parameters), e.g. a migration.sql. */
  executeScript(sql: string): Promise<void>
}

/**
 * A pg client (not a pool: session state such as advisory locks and BEGIN must stay on one
 * connection). Without parameters pg uses the simple protocol, which accepts several statements.
 */
export function pgExecutor (client: pg.ClientBase): SqlExecutor {
  return {
    async query<Row> (sql: string, params: unknown[] = []) {
      const result = await client.query(sql, params)
      return result.rows as Row[]
    },
    async executeScript (sql: string) {
      await client.query(sql)
    }
  }
}

/** PGlite is a single session already. */
export function pgliteExecutor (db: PGlite): SqlExecutor {
  return {
    async query<Row> (sql: string, params: unknown[] = []) {
      const result = await db.query<Row>(sql, params)
      return result.rows
    },
    async executeScript (sql: string) {
      await db.exec(sql)
    }
  }
}
