// Baseline for the uncached HTML route: the same work as GET /contacts/:page done by hand.
// Bare Fastify, a raw pg keyset query (prepared statement, one row more than the page to know
// whether another follows), the product's own Handlebars templates (click_to_load/template.hbs
// with its row.hbs partial) and the same asset tags the product puts before a fragment opened
// without htmx (taken from the product's captured answer). What the product adds beyond this is
// its overhead: plugins, schema validation, the component renderer, Prisma.
// Env: PORT, HOST, DATABASE_URL, PROJECT_ROOT, BARE_HTML_FILE, PAGE_SIZE.
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import Fastify from 'fastify'
import Handlebars from 'handlebars'
import pg from 'pg'

const root = process.env.PROJECT_ROOT
const pageSize = Number(process.env.PAGE_SIZE ?? 3)
const captured = readFileSync(process.env.BARE_HTML_FILE, 'utf8')
// Everything before the first row: the <link>/<script> tags of a fragment opened on its own.
const assetTags = captured.slice(0, Math.max(0, captured.search(/<tr\b/)))
const handlebars = Handlebars.create()
handlebars.registerHelper('eq', (a, b) => a === b) // row.hbs compares the status, as the product's helper does
const dir = join(root, 'components', 'click_to_load')
const row = handlebars.compile(readFileSync(join(dir, 'row.hbs'), 'utf8'))
handlebars.registerPartial('contact_row', (contact) => row({ ...contact, active: contact.status === 'active' }))
const template = handlebars.compile(readFileSync(join(dir, 'template.hbs'), 'utf8'))

const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL, max: 10 })
const KEYSET = {
  name: 'contacts_page_after',
  text: 'SELECT id, first_name AS "firstName", last_name AS "lastName", email, status::text AS status, created_at AS "createdAt" FROM contacts WHERE id > $1 ORDER BY id LIMIT $2'
}

const app = Fastify({ logger: false })
app.get('/contacts/:page', async (request, reply) => {
  const page = Number(request.params.page)
  const after = request.query.after === undefined ? (page - 1) * pageSize : Number(request.query.after)
  const { rows } = await pool.query({ ...KEYSET, values: [after, pageSize + 1] })
  const hasNext = rows.length > pageSize
  const contacts = hasNext ? rows.slice(0, pageSize) : rows
  const nextUrl = hasNext ? `/contacts/${page + 1}?after=${contacts[contacts.length - 1].id}` : null
  reply.type('text/html; charset=utf-8').header('Vary', 'HX-Request, FLC-Components')
  return `${assetTags}${template({ contacts, nextUrl })}`
})

await app.listen({ port: Number(process.env.PORT ?? 3103), host: process.env.HOST ?? '127.0.0.1', backlog: 4096 })
process.once('SIGTERM', () => { app.close().then(() => pool.end()).then(() => process.exit(0)) })
