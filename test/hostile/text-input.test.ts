// One text rule for every stored or rendered string (issue 15, findings 6 and 7): NUL, the
// other C0/C1 controls and DEL are removed, line breaks and tabs become a space in single-line
// fields, lone surrogates become U+FFFD. A NUL in a contact field no longer reaches PostgreSQL
// (it answered 500), and ESC, CR/LF and U+2028 are no longer stored and pushed to every page.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { build } from '../helpers/build.js'
import { createTestDatabase } from '../helpers/services.js'
import { cleanText } from '../../src/util/text.js'
import { InvalidContactError } from '../../src/contacts/errors.js'

test('cleanText: controls removed, breaks folded (single-line) or kept as \\n (multi-line), lone surrogates replaced', () => {
  assert.equal(cleanText('Ada'), 'Ada')
  assert.equal(cleanText('a\u0000b\u001b[31mc\u007f\u0085d'), 'ab[31mcd')
  assert.equal(cleanText('first\r\nsecond\u2028third\t\tfourth\u2029'), 'first second third fourth ')
  assert.equal(cleanText('first\r\nsecond\rthird\u2028fourth\tend', { multiline: true }), 'first\nsecond\nthird\nfourth\tend')
  assert.equal(cleanText('x\uD800y\uDC00z'), 'x\uFFFDy\uFFFDz')
  assert.equal(cleanText('emoji \uD83D\uDE00 stays'), 'emoji \uD83D\uDE00 stays')
})

test('a contact posted with NUL, ESC, CR/LF and U+2028 is stored and shown without them (no 500)', async (t) => {
  const url = await createTestDatabase(t)
  if (url === undefined) return
  const app = await build(t, { DATABASE_URL: url, DEMO_CONTACTS: 0 })
  const page = await app.inject('/')
  const cookie = page.cookies.find((c) => c.name === '_csrf')?.value ?? ''
  const token = /hx-headers='\{"x-csrf-token": "([^"]+)"\}'/.exec(page.body)?.[1] ?? ''
  const post = async (fields: Record<string, string>) => await app.inject({
    method: 'POST',
    url: '/contacts',
    headers: { 'hx-request': 'true', 'x-csrf-token': token, 'content-type': 'application/x-www-form-urlencoded' },
    cookies: { _csrf: cookie },
    payload: new URLSearchParams(fields).toString()
  })

  const added = await post({ firstName: 'A\u0000da', lastName: 'Love\u001b[2Jlace\r\nthe\u2028first', email: 'ada\u0000@example.com', status: 'active' })
  assert.equal(added.statusCode, 201, added.body)
  const [row] = await app.prisma.contact.findMany()
  assert.equal(row?.firstName, 'Ada')
  assert.equal(row?.lastName, 'Love[2Jlace the first')
  assert.equal(row?.email, 'ada@example.com')
  // eslint-disable-next-line no-control-regex -- looking for control characters is the point
  assert.doesNotMatch(added.body, /[\u0000-\u0008\u000B-\u001F\u2028]/, 'nothing of it in the HTML sent back')

  const onlyNul = await post({ firstName: '\u0000', lastName: 'X', email: 'x@example.com', status: 'active' })
  assert.equal(onlyNul.statusCode, 422, 'a field of nothing but controls is empty: required')
  assert.match(onlyNul.body, /First name is required/)
})

test('the repository applies the rule for every caller, and a field of only controls is required', async (t) => {
  const url = await createTestDatabase(t)
  if (url === undefined) return
  const app = await build(t, { DATABASE_URL: url, DEMO_CONTACTS: 0 })
  const contact = await app.contacts.create({ firstName: 'Grace\u0000', lastName: 'Hop\u0085per', email: 'GRACE@example.com\u0000' })
  assert.deepEqual([contact.firstName, contact.lastName, contact.email], ['Grace', 'Hopper', 'grace@example.com'])
  const updated = await app.contacts.update(contact.id, { lastName: 'Hopper\r\nRDML' })
  assert.equal(updated.lastName, 'Hopper RDML')
  await assert.rejects(app.contacts.create({ firstName: '\u0000\u001b', lastName: 'x', email: 'y@example.com' }),
    (error: unknown) => error instanceof InvalidContactError && error.field === 'firstName')
})

test('a form field whose %-escapes are not UTF-8 is refused with 400 and stores nothing; the route\'s "after" is bounded like an id', async (t) => {
  const url = await createTestDatabase(t)
  if (url === undefined) return
  const app = await build(t, { DATABASE_URL: url, DEMO_CONTACTS: 0 })
  const page = await app.inject('/')
  const cookie = page.cookies.find((c) => c.name === '_csrf')?.value ?? ''
  const token = /hx-headers='\{"x-csrf-token": "([^"]+)"\}'/.exec(page.body)?.[1] ?? ''
  const post = async (payload: string) => await app.inject({
    method: 'POST',
    url: '/contacts',
    headers: { 'hx-request': 'true', 'x-csrf-token': token, 'content-type': 'application/x-www-form-urlencoded' },
    cookies: { _csrf: cookie },
    payload
  })

  const broken = await post('firstName=a%ED%A0%80b&lastName=b&email=broken%40example.com&status=active')
  assert.equal(broken.statusCode, 400, broken.body)
  assert.match(broken.body, /data-code="FLC_BAD_PARAMETER">The form field &quot;firstName=a%ED%A0%80b&quot; is not valid URL encoding/)
  assert.equal(await app.prisma.contact.count(), 0, 'nothing stored')

  const fine = await post('firstName=Ren%C3%A9e&lastName=100%25+sure&email=renee%40example.com&status=active')
  assert.equal(fine.statusCode, 201, fine.body)
  const [row] = await app.prisma.contact.findMany()
  assert.deepEqual([row?.firstName, row?.lastName], ['Renée', '100% sure'])

  for (const after of ['99999999999999999999', '1e400', '2147483648', '-1']) {
    const response = await app.inject(`/contacts/2?after=${after}`)
    assert.equal(response.statusCode, 400, `after=${after}: ${response.body}`)
    assert.equal(response.json().code, 'FLC_BAD_PARAMETER', `after=${after}: ${response.body}`)
    assert.match(response.json().message, /^after /)
  }
  const largest = await app.inject('/contacts/2?after=2147483647')
  assert.equal(largest.statusCode, 404, 'the largest id is a valid cursor (past the last contact: no such page)')
  assert.equal(largest.json().code, 'FLC_PAGE_NOT_FOUND')
})
