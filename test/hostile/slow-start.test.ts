// Start-up never fails because the machine is slow: no plugin timeout on legitimate work, and
// each slow step is named. (Issue 8, finding 7: "Plugin did not start in time: 'database'".)
import { test } from 'node:test'
import assert from 'node:assert/strict'
import Fastify from 'fastify'
import fp from 'fastify-plugin'
import { serverOptions } from '../../src/http/server-options.js'
import { openDatabase } from '../../src/db/database.js'
import { testConfig } from '../helpers/build.js'

test('a plugin slower than Fastify\'s default 10 s plugin timeout still starts', async (t) => {
  const fastify = Fastify({ ...serverOptions(testConfig()), logger: false })
  t.after(() => fastify.close())
  // What PGlite's initdb + migrations + seeding took at load 4.5 on 2 cores (11 s), give or take.
  await fastify.register(fp(async () => { await new Promise((resolve) => setTimeout(resolve, 10_500)) }, { name: 'slow' }))
  await fastify.ready()
})

test('opening the database names each step, for the start-up progress log', async () => {
  const steps: string[] = []
  const database = await openDatabase({ DATA_DIR: 'memory://', DEMO_CONTACTS: 3 }, { onStep: (step) => steps.push(step) })
  await database.close()
  assert.deepEqual(steps, [
    'opening the embedded database (PGlite) in DATA_DIR=memory://',
    'applying migrations to the embedded database',
    'seeding 3 demo contacts (DEMO_CONTACTS)'
  ])
})
