// Cheap PGlite databases for tests. A new PGlite runs initdb (seconds), a clone of an existing
// one loads a dump (well under a second): each test file creates one template lazily and hands
// every test its own clone. Everything is closed, since an open PGlite keeps the process alive.
import { after, type TestContext } from 'node:test'
import { PGlite } from '@electric-sql/pglite'

export interface PgliteFixture {
  /** A new in-memory database with the template's content, closed when the test ends. */
  fresh (t: TestContext): Promise<PGlite>
}

/** Call at the top level of a test file; `prepare` fills the template once (e.g. migrates it). */
export function pgliteFixture (prepare: (db: PGlite) => Promise<unknown> = async () => {}): PgliteFixture {
  let template: Promise<PGlite> | undefined
  after(async () => {
    if (template !== undefined) await (await template).close()
  })
  return {
    async fresh (t) {
      template ??= PGlite.create().then(async (db) => {
        await prepare(db)
        return db
      })
      const db = await (await template).clone() as PGlite
      t.after(() => db.close())
      return db
    }
  }
}
