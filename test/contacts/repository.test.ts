// ContactsRepository on both databases the app runs on: keyset and offset paging must agree,
// errors must be typed and carry their HTTP status.
import { test, type TestContext } from 'node:test'
import assert from 'node:assert/strict'
import { createTestDatabase } from '../helpers/services.js'
import { openDatabase, type Database } from '../../src/db/database.js'
import { demoContact, seedContacts } from '../../src/db/seed-contacts.js'
import { ContactsRepository, type ContactsPage } from '../../src/contacts/repository.js'
import {
  ContactNotFoundError, ContactsError, DuplicateEmailError, InvalidContactError, InvalidPageError, PageNotFoundError
} from '../../src/contacts/errors.js'

const backends: Array<{ name: string, open: (t: TestContext) => Promise<Database | undefined> }> = [
  {
    name: 'PostgreSQL',
    async open (t) {
      const url = await createTestDatabase(t)
      return url === undefined ? undefined : openDatabase({ DATABASE_URL: url, DATA_DIR: 'unused', DEMO_CONTACTS: 0 })
    }
  },
  // In memory: one initdb for the whole file, the subtests share it.
  { name: 'PGlite', open: async () => openDatabase({ DATA_DIR: 'memory://', DEMO_CONTACTS: 0 }) }
]

const ids = (page: ContactsPage) => page.contacts.map((c) => c.id)

const CODES = new Map<unknown, string>([
  [InvalidPageError, 'FLC_INVALID_PAGE'], [PageNotFoundError, 'FLC_PAGE_NOT_FOUND'], [InvalidContactError, 'FLC_INVALID_CONTACT'],
  [DuplicateEmailError, 'FLC_DUPLICATE_EMAIL'], [ContactNotFoundError, 'FLC_CONTACT_NOT_FOUND']
])

function isError (type: new (...args: never[]) => ContactsError, statusCode: number, message?: RegExp) {
  return (error: unknown) => {
    assert.ok(error instanceof type, `expected ${type.name}, got ${String(error)}`)
    assert.ok(error instanceof ContactsError)
    assert.equal(error.code, CODES.get(type))
    assert.equal(error.statusCode, statusCode)
    if (message !== undefined) assert.match(error.message, message)
    return true
  }
}

for (const backend of backends) {
  test(`ContactsRepository on ${backend.name}`, async (t) => {
    const db = await backend.open(t)
    if (db === undefined) return
    t.after(() => db.close())
    // The app's setup: pages through the raw reader (the writes through Prisma).
    const repo = new ContactsRepository(db.prisma, { defaultPageSize: 3, raw: db.raw })
    const viaPrisma = new ContactsRepository(db.prisma, { defaultPageSize: 3 })

    async function withContacts (count: number): Promise<void> {
      await db!.prisma.$executeRawUnsafe('TRUNCATE "contacts" RESTART IDENTITY')
      await seedContacts(db!.prisma, count, { batchSize: 4 })
    }

    await t.test('page 1 of an empty table is an empty page; page 2 does not exist', async () => {
      await withContacts(0)
      assert.deepEqual(await repo.page({ page: 1 }), { contacts: [], page: 1, pageSize: 3, hasNext: false, nextPage: null, nextCursor: null })
      await assert.rejects(repo.page({ page: 2 }), isError(PageNotFoundError, 404, /Page 2 does not exist/))
      await assert.rejects(repo.page({ page: 2, after: 0 }), PageNotFoundError)
    })

    await t.test('first, middle and last page, by offset and by keyset', async () => {
      await withContacts(10)
      const first = await repo.page({ page: 1 })
      assert.deepEqual(ids(first), [1, 2, 3])
      assert.deepEqual({ ...first, contacts: [] }, { contacts: [], page: 1, pageSize: 3, hasNext: true, nextPage: 2, nextCursor: 3 })
      assert.equal(first.contacts[0]?.email, demoContact(1).email)
      assert.deepEqual(Object.keys(first.contacts[0]!).sort(), ['createdAt', 'email', 'firstName', 'id', 'lastName', 'status'])

      const middleByOffset = await repo.page({ page: 2 })
      const middleByKeyset = await repo.page({ page: 2, after: first.nextCursor! })
      assert.deepEqual(ids(middleByOffset), [4, 5, 6])
      assert.deepEqual(middleByKeyset, middleByOffset)

      const last = await repo.page({ page: 4 })
      assert.deepEqual(ids(last), [10])
      assert.equal(last.hasNext, false)
      assert.equal(last.nextPage, null)
      assert.equal(last.nextCursor, null)
      assert.deepEqual(await repo.page({ page: 4, after: 9 }), last)

      await assert.rejects(repo.page({ page: 5 }), isError(PageNotFoundError, 404))
      await assert.rejects(repo.page({ page: 5, after: 10 }), PageNotFoundError)
    })

    await t.test('walking every page by keyset gives what offsets give, also with gaps in the ids', async () => {
      await withContacts(23)
      await db.prisma.contact.deleteMany({ where: { id: { in: [2, 3, 9, 10, 11, 17] } } })
      const byKeyset: number[][] = []
      let after: number | undefined
      for (let page = 1; page <= 20; page++) { // bounded: 17 rows are 4 pages of 5
        const result = await repo.page({ page, pageSize: 5, after })
        byKeyset.push(ids(result))
        const byOffset = await repo.page({ page, pageSize: 5 })
        assert.deepEqual(result, byOffset, `page ${page}`)
        assert.deepEqual(await viaPrisma.page({ page, pageSize: 5, after }), result, `page ${page}: the raw read gives what Prisma gives`)
        if (result.nextCursor === null) break
        assert.equal(result.nextPage, page + 1)
        after = result.nextCursor
      }
      assert.equal(byKeyset.length, 4)
      const remaining = Array.from({ length: 23 }, (_, i) => i + 1).filter((id) => ![2, 3, 9, 10, 11, 17].includes(id))
      assert.deepEqual(byKeyset.flat(), remaining)
    })

    await t.test('hasNext is exact on the boundary: a full last page has no next page', async () => {
      await withContacts(9)
      const third = await repo.page({ page: 3 })
      assert.deepEqual(ids(third), [7, 8, 9])
      assert.equal(third.hasNext, false)
      assert.equal(third.nextPage, null)
      assert.equal((await repo.page({ page: 2 })).hasNext, true)
      assert.deepEqual(await repo.page({ page: 3, after: 6 }), third)
      await assert.rejects(repo.page({ page: 4 }), PageNotFoundError)
    })

    await t.test('bad paging input is refused with a message naming the parameter', async () => {
      const cases: Array<[Record<string, unknown>, RegExp]> = [
        [{ page: 0 }, /page must be a whole number from 1/],
        [{ page: -1 }, /page must be/],
        [{ page: 1.5 }, /page must be/],
        [{ page: Number.NaN }, /page must be/],
        [{ page: '2' }, /page must be .*got 2/],
        [{ page: 1, pageSize: 0 }, /pageSize must be a whole number from 1 to 1000; got 0/],
        [{ page: 1, pageSize: 1001 }, /pageSize must be/],
        [{ page: 2, after: -1 }, /after must be a whole number from 0/],
        [{ page: 2, after: 2.5 }, /after must be/]
      ]
      for (const [query, message] of cases) {
        await assert.rejects(repo.page(query as never), isError(InvalidPageError, 400, message), JSON.stringify(query))
      }
      assert.throws(() => new ContactsRepository(db.prisma, { defaultPageSize: 0 }), InvalidPageError)
    })

    await t.test('pages and cursors beyond any possible id are past the end, not database errors', async () => {
      await withContacts(4)
      await assert.rejects(repo.page({ page: 1_000_000_000, pageSize: 100 }), PageNotFoundError)
      await assert.rejects(repo.page({ page: 2, after: 2 ** 31 }), PageNotFoundError)
      // A cursor past the last row is past the end on page 1 too (an empty table's page 1 is not).
      await assert.rejects(repo.page({ page: 1, after: 2 ** 40 }), PageNotFoundError)
    })

    await t.test('count, create and their errors', async () => {
      await withContacts(2)
      assert.equal(await repo.count(), 2)
      const created = await repo.create({ firstName: '  Grace ', lastName: 'Hopper', email: ' Grace.Hopper@Example.COM ' })
      assert.equal(created.firstName, 'Grace')
      assert.equal(created.email, 'grace.hopper@example.com')
      assert.equal(created.status, 'active')
      assert.ok(created.createdAt instanceof Date)
      assert.equal(await repo.count(), 3)
      assert.equal((await repo.create({ firstName: 'Alan', lastName: 'Turing', email: 'alan@example.com', status: 'inactive' })).status, 'inactive')

      await assert.rejects(repo.create({ firstName: 'G', lastName: 'H', email: 'GRACE.HOPPER@example.com' }),
        isError(DuplicateEmailError, 409, /grace\.hopper@example\.com already exists/))
      const invalid: Array<[Record<string, unknown>, string]> = [
        [{ firstName: ' ', lastName: 'X', email: 'x@example.com' }, 'firstName'],
        [{ lastName: 'X', email: 'x@example.com' }, 'firstName'],
        [{ firstName: 'X', lastName: '', email: 'x@example.com' }, 'lastName'],
        [{ firstName: 'X'.repeat(101), lastName: 'X', email: 'x@example.com' }, 'firstName'],
        [{ firstName: 'X', lastName: 'X', email: 'not-an-email' }, 'email'],
        [{ firstName: 'X', lastName: 'X', email: 'a@b' }, 'email'],
        [{ firstName: 'X', lastName: 'X', email: 'a b@example.com' }, 'email'],
        [{ firstName: 'X', lastName: 'X', email: 'x@example.com', status: 'gone' }, 'status']
      ]
      for (const [input, field] of invalid) {
        await assert.rejects(repo.create(input as never), (error: InvalidContactError) => {
          assert.ok(error instanceof InvalidContactError)
          assert.equal(error.statusCode, 400)
          assert.equal(error.field, field, JSON.stringify(input))
          return true
        })
      }
      assert.equal(await repo.count(), 4, 'nothing invalid was stored')
    })

    await t.test('update changes only the given fields; unknown ids and duplicates are typed errors', async () => {
      await withContacts(3)
      const before = (await repo.page({ page: 1 })).contacts[1]!
      const updated = await repo.update(2, { lastName: ' Lovelace ', status: 'inactive' })
      assert.deepEqual(updated, { ...before, lastName: 'Lovelace', status: 'inactive' })

      await assert.rejects(repo.update(999, { firstName: 'Nobody' }), isError(ContactNotFoundError, 404, /Contact 999 does not exist/))
      await assert.rejects(repo.update(2 ** 40, { firstName: 'Nobody' }), ContactNotFoundError)
      const other = (await repo.page({ page: 1 })).contacts[0]!
      await assert.rejects(repo.update(2, { email: other.email.toUpperCase() }), isError(DuplicateEmailError, 409))
      await assert.rejects(repo.update(2, {}), isError(InvalidContactError, 400, /Nothing to update/))
      await assert.rejects(repo.update(0, { firstName: 'X' }), isError(InvalidContactError, 400, /Contact id must be a positive whole number/))
      await assert.rejects(repo.update(2, { email: 'nope' }), InvalidContactError)
      assert.deepEqual((await repo.page({ page: 1 })).contacts[1], updated, 'failed updates changed nothing')
    })

    await t.test('delete removes one contact and returns it; unknown ids are ContactNotFoundError', async () => {
      await withContacts(3)
      const second = await repo.get(2)
      assert.deepEqual(await repo.delete(2), second)
      assert.deepEqual(ids(await repo.page({ page: 1 })), [1, 3])
      await assert.rejects(repo.delete(2), isError(ContactNotFoundError, 404))
      await assert.rejects(repo.get(2), isError(ContactNotFoundError, 404))
      await assert.rejects(repo.delete(2 ** 40), ContactNotFoundError)
      await assert.rejects(repo.delete(0), isError(InvalidContactError, 400))
    })

    await t.test('change listeners run after the write, isolated: a throwing or rejecting listener is logged, the write stands', async () => {
      await withContacts(0)
      const logged: Array<{ details: object, message: string }> = []
      const isolated = new ContactsRepository(db.prisma, { log: { error: (details, message) => logged.push({ details, message }) } })
      const seen: string[] = []
      let allSeen: () => void = () => {}
      const delivered = new Promise<void>((resolve) => { allSeen = resolve })
      isolated.onChange(() => { throw new Error('listener bug') })
      isolated.onChange(async () => { throw new Error('async listener bug') })
      isolated.onChange((change) => {
        seen.push(`${change.kind} ${change.contact.id}`)
        if (seen.length === 3) allSeen()
      })
      const created = await isolated.create({ firstName: 'Ada', lastName: 'Lovelace', email: 'ada@example.com' })
      await isolated.update(created.id, { status: 'inactive' })
      await isolated.delete(created.id)
      await delivered
      await new Promise((resolve) => setImmediate(resolve)) // the rejections' .catch ran in earlier microtasks
      assert.deepEqual(seen, [`create ${created.id}`, `update ${created.id}`, `delete ${created.id}`], 'a later listener still ran')
      assert.equal(logged.length, 6, 'each failing listener logged once per write')
      assert.ok(logged.every((entry) => /listener failed/.test(entry.message)))
    })
  })
}
