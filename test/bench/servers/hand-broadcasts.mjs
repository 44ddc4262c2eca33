// Baseline for "a write reaching every page": the same work as the product's live contacts,
// done by hand and kept minimal. Bare Fastify; POST /contacts (a form body, as the product's
// form sends it) INSERTs with raw pg, renders the new row with the product's own templates
// (new_contacts/template.hbs with click_to_load/row.hbs as its contact_row partial) and
// PUBLISHes the SSE frame on Redis at once, then SELECTs count(*), renders
// contact_count/template.hbs and PUBLISHes that frame. Every instance subscribes once and writes
// each frame, encoded once, to all its open GET /live responses. No history, no replay, no
// coalescing, no per-page channels: one writer renders each change once, for all instances.
// GET /bench/stats answers { renders } (templates rendered in this process).
// Env: PORT, HOST, DATABASE_URL, REDIS_URL, CHANNEL_PREFIX, PROJECT_ROOT.
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import Fastify from 'fastify'
import Handlebars from 'handlebars'
import pg from 'pg'
import { Redis } from 'ioredis'

const root = process.env.PROJECT_ROOT
const componentsDir = join(root, 'components')
const handlebars = Handlebars.create()
handlebars.registerHelper('eq', (a, b) => a === b) // row.hbs compares the status, as the product's helper does
const template = (path) => handlebars.compile(readFileSync(join(componentsDir, path), 'utf8'))
const row = template('click_to_load/row.hbs')
handlebars.registerPartial('contact_row', (contact) => row({ ...contact, active: contact.status === 'active' }))
const newContacts = template('new_contacts/template.hbs')
const contactCount = template('contact_count/template.hbs')
let renders = 0

const channel = `${process.env.CHANNEL_PREFIX ?? ''}hand_broadcasts`
const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL, max: 10 })
const publisher = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379')
const subscriber = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379')
for (const redis of [publisher, subscriber]) redis.on('error', (error) => console.error('redis:', error.message))

const INSERT = {
  name: 'hand_contacts_insert',
  text: 'INSERT INTO contacts (first_name, last_name, email, status) VALUES ($1, $2, $3, $4::"ContactStatus") ' +
    'RETURNING id, first_name AS "firstName", last_name AS "lastName", email, status::text AS status, created_at AS "createdAt"'
}
const COUNT = { name: 'hand_contacts_count', text: 'SELECT count(*)::int AS count FROM contacts' }

/** One SSE event: each line of the HTML its own data: line (as the product sends it). */
function frame (event, html) {
  return `event: ${event}\n${html.trimEnd().split(/\r\n|\r|\n/).map((line) => `data: ${line}`).join('\n')}\n\n`
}

const clients = new Set()
subscriber.on('message', (_channel, message) => {
  // Only frames this baseline made travel on its private channel; still, nothing else is sent on.
  if (!message.startsWith('event: ') || !message.endsWith('\n\n')) return
  const bytes = Buffer.from(message)
  for (const res of clients) res.write(bytes)
})
await subscriber.subscribe(channel)

const app = Fastify({ logger: false })
app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string', bodyLimit: 16_384 }, (_request, body, done) => {
  done(null, Object.fromEntries(new URLSearchParams(body)))
})

app.post('/contacts', async (request, reply) => {
  const field = (name) => (typeof request.body?.[name] === 'string' ? request.body[name].trim() : '')
  const [firstName, lastName, email] = [field('firstName'), field('lastName'), field('email').toLowerCase()]
  const status = field('status') === 'inactive' ? 'inactive' : 'active'
  if (firstName === '' || lastName === '' || email === '') return await reply.code(422).send('firstName, lastName and email are required')
  const { rows: [contact] } = await pool.query({ ...INSERT, values: [firstName, lastName, email, status] })
  renders++
  await publisher.publish(channel, frame('broadcast.new_contacts', newContacts({ contact })))
  const { rows: [{ count }] } = await pool.query(COUNT)
  renders++
  await publisher.publish(channel, frame('broadcast.contact_count', contactCount({ count, one: count === 1 })))
  return await reply.redirect('/', 303)
})

app.get('/live', (request, reply) => {
  reply.hijack()
  const res = reply.raw
  res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache', 'x-accel-buffering': 'no' })
  res.write(':ok\n\n') // sends the headers now
  clients.add(res)
  res.on('close', () => clients.delete(res))
})

app.get('/bench/stats', async () => ({ renders, clients: clients.size }))

await app.listen({ port: Number(process.env.PORT ?? 3104), host: process.env.HOST ?? '127.0.0.1', backlog: 4096 })
process.once('SIGTERM', () => {
  for (const res of clients) res.destroy()
  setTimeout(() => process.exit(0), 2000).unref()
  app.close().then(() => Promise.all([pool.end(), subscriber.quit(), publisher.quit()])).then(() => process.exit(0), () => process.exit(1))
})
