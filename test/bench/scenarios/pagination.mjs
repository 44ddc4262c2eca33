// Scenario 4, pagination depth: 1,000,000 contacts in PostgreSQL; the first page against the
// page at offset 999,000. Keyset (ours: `?after=<last id>`) against an OFFSET baseline, and
// Prisma against raw pg for the same query. Requests run one at a time (latency, not load).
import http from 'node:http'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import pg from 'pg'
import { Histogram } from '../lib/histogram.mjs'
import { HOST, startServer } from '../lib/servers.mjs'
import { serverEnv } from './fanout.mjs'

export function paginationPlan (quick) {
  return quick
    ? { rows: 20_000, deepOffset: 18_999, pageSize: 3, iterations: 60, warmup: 10 }
    : { rows: 1_000_000, deepOffset: 999_000, pageSize: 3, iterations: 300, warmup: 30 }
}

// Times the first and the deep query alternately, so drift (caches, other load) hits both alike.
async function timePair (first, deep, { iterations, warmup }) {
  for (let i = 0; i < warmup; i++) { await first(); await deep() }
  const histograms = { first: new Histogram(), deep: new Histogram() }
  for (let i = 0; i < iterations; i++) {
    for (const [name, fn] of [['first', first], ['deep', deep]]) {
      const t0 = performance.now()
      await fn()
      histograms[name].record((performance.now() - t0) * 1000)
    }
  }
  const stats = (h) => ({ p50: h.percentile(50), p99: h.percentile(99), mean: h.mean(), samples: h.total })
  return { first: stats(histograms.first), deep: stats(histograms.deep) }
}

function httpGet (agent, port, path) {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: HOST, port, path, agent }, (res) => {
      res.resume()
      res.on('end', () => res.statusCode === 200 ? resolve() : reject(new Error(`GET ${path}: ${res.statusCode}`)))
    })
    req.setTimeout(30_000, () => req.destroy(new Error(`GET ${path} timed out`)))
    req.on('error', reject)
  })
}

export async function pagination (ctx) {
  const plan = paginationPlan(ctx.quick)
  const databaseUrl = await ctx.seededDatabase()
  const result = { plan, seed: ctx.seedInfo }
  const client = new pg.Client({ connectionString: databaseUrl })
  await client.connect()
  const take = plan.pageSize + 1 // what the product asks for: one extra row tells "has next"
  try {
    // The id just before the deep page (ids are not assumed contiguous).
    const deepAfter = Number((await client.query('SELECT id FROM contacts ORDER BY id OFFSET $1 LIMIT 1', [plan.deepOffset - 1])).rows[0].id)
    const deepPage = plan.deepOffset / plan.pageSize + 1
    Object.assign(result, { deepAfter, deepPage })
    const columns = 'id, first_name, last_name, email, status, created_at'
    const q = (text, values) => () => client.query(text, values)
    const cases = {
      'raw pg keyset': {
        first: q(`SELECT ${columns} FROM contacts WHERE id > $1 ORDER BY id LIMIT $2`, [0, take]),
        deep: q(`SELECT ${columns} FROM contacts WHERE id > $1 ORDER BY id LIMIT $2`, [deepAfter, take])
      },
      'raw pg OFFSET': {
        first: q(`SELECT ${columns} FROM contacts ORDER BY id LIMIT $1 OFFSET $2`, [take, 0]),
        deep: q(`SELECT ${columns} FROM contacts ORDER BY id LIMIT $1 OFFSET $2`, [take, plan.deepOffset])
      }
    }

    let database = null
    if (ctx.hasOurs) {
      const dist = join(ctx.oursRoot, 'dist', 'src')
      const databaseModule = join(dist, 'db', 'database.js')
      const repositoryModule = join(dist, 'contacts', 'repository.js')
      if (existsSync(databaseModule) && existsSync(repositoryModule)) {
        const { openDatabase } = await import(pathToFileURL(databaseModule).href)
        const { ContactsRepository } = await import(pathToFileURL(repositoryModule).href)
        database = await openDatabase({ DATABASE_URL: databaseUrl, DATA_DIR: ctx.tmpDir, DEMO_CONTACTS: 0 }, { seedDemoContacts: false })
        const prisma = database.prisma
        // As the app builds it: pages through the driver's raw reader (when this build has one).
        const repository = new ContactsRepository(prisma, { defaultPageSize: plan.pageSize, raw: database.raw })
        cases['Prisma keyset'] = {
          first: () => prisma.contact.findMany({ where: { id: { gt: 0 } }, orderBy: { id: 'asc' }, take }),
          deep: () => prisma.contact.findMany({ where: { id: { gt: deepAfter } }, orderBy: { id: 'asc' }, take })
        }
        cases['Prisma OFFSET'] = {
          first: () => prisma.contact.findMany({ orderBy: { id: 'asc' }, skip: 0, take }),
          deep: () => prisma.contact.findMany({ orderBy: { id: 'asc' }, skip: plan.deepOffset, take })
        }
        cases['ours: ContactsRepository.page'] = {
          first: () => repository.page({ page: 1, pageSize: plan.pageSize }),
          deep: () => repository.page({ page: deepPage, pageSize: plan.pageSize, after: deepAfter })
        }
      } else {
        result.repositoryMissing = 'dist/src/db/database.js or dist/src/contacts/repository.js not found'
      }
    }

    result.cases = {}
    for (const [name, { first, deep }] of Object.entries(cases)) {
      try {
        // OFFSET at depth costs ~100 ms a query on 1M rows: fewer samples keep the run short.
        const samples = name.includes('OFFSET') ? { ...plan, iterations: Math.min(plan.iterations, 60), warmup: Math.min(plan.warmup, 5) } : plan
        result.cases[name] = await timePair(first, deep, samples)
      } catch (error) {
        result.errors = { ...result.errors, [name]: error.message }
        ctx.log(`    ${name} failed: ${error.message}`)
        continue
      }
      ctx.log(`    ${name}: first p50 ${(result.cases[name].first.p50 / 1000).toFixed(3)} ms, deep p50 ${(result.cases[name].deep.p50 / 1000).toFixed(3)} ms`)
    }
    await database?.close()

    if (ctx.hasOurs) {
      const server = await startServer('ours', { ctx, env: serverEnv(ctx, 'ours', `${ctx.runId}_pages_`, { DATABASE_URL: databaseUrl, CONTACTS_CACHE_TTL_MS: '0' /* measure the query, not the render cache */ }), profileName: 'pagination' })
      const agent = new http.Agent({ keepAlive: true, maxSockets: 1 })
      try {
        const get = (path) => () => httpGet(agent, server.port, path)
        const routes = {
          'ours: GET /contacts/:page?after= (keyset)': { first: '/contacts/1', deep: `/contacts/${deepPage}?after=${deepAfter}` },
          'ours: GET /contacts/:page (no after: OFFSET)': { first: '/contacts/1', deep: `/contacts/${deepPage}` }
        }
        for (const [name, paths] of Object.entries(routes)) {
          const samples = name.includes('OFFSET') ? { ...plan, iterations: Math.min(plan.iterations, 60), warmup: Math.min(plan.warmup, 5) } : plan
          result.cases[name] = { ...await timePair(get(paths.first), get(paths.deep), samples), paths }
          ctx.log(`    ${name}: first p50 ${(result.cases[name].first.p50 / 1000).toFixed(3)} ms, deep p50 ${(result.cases[name].deep.p50 / 1000).toFixed(3)} ms`)
        }
      } catch (error) {
        result.routeError = error.message
        ctx.log(`    route failed: ${error.message}\n${server.stderr().slice(-1500)}`)
      } finally {
        agent.destroy()
        await server.stop()
      }
    }
  } finally {
    await client.end()
  }
  return result
}
