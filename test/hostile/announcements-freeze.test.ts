// Redis frozen (SIGSTOP) while the announcement reader polls the stream: its reads time out
// here and new ones queue in Redis's socket. On thaw Redis runs them and hands an entry written
// during the freeze to a read whose reply was already given up: the entry is pending on this
// consumer. The reader takes its own pending entries first after a failed read, so the entry is
// announced at once, not left to the takeover of dead consumers (claimIdleMs, 10 minutes here).
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { Redis } from 'ioredis'
import { addAnnouncement } from '../../src/live/announce/announcements.js'
import { AnnouncementReader } from '../../src/live/announce/announcement-reader.js'
import type { Change } from '../../src/components/define.js'
import { OwnRedis } from '../helpers/redis-server.js'
import { waitFor } from '../helpers/wait.js'

test('an announcement written while Redis was frozen is announced after the thaw, not after claimIdleMs', async (t) => {
  const redis = await OwnRedis.start(t)
  if (redis === undefined) return
  const seen: Change[] = []
  const reader = await AnnouncementReader.open({
    url: redis.url,
    prefix: 'app:',
    consumer: 'instance-1',
    connectionName: 'instance-1:announce',
    pollMs: 100,
    commandTimeoutMs: 500,
    claimIdleMs: 600_000,
    announce: (tags, change) => { seen.push({ tags, ...change }) },
    logger: { debug () {}, info () {}, warn () {}, error () {} }
  })
  t.after(() => reader.close())
  reader.start()
  const writer = new Redis(redis.url)
  writer.on('error', () => {})
  t.after(() => writer.disconnect())
  await addAnnouncement(writer, 'app:', { tags: ['contacts'], id: 1 })
  await waitFor(() => seen.length === 1, { what: 'the first announcement' })

  redis.freeze()
  // The writer's XADD waits in Redis's socket like the reader's reads.
  const during = addAnnouncement(writer, 'app:', { tags: ['contacts'], id: 2 })
  await waitFor(() => reader.stats().errors >= 3, { what: 'reads timing out while Redis is frozen', timeoutMs: 60_000 })
  redis.thaw()
  await during
  await addAnnouncement(writer, 'app:', { tags: ['contacts'], id: 3 })
  await waitFor(() => seen.some((c) => c.id === 2) && seen.some((c) => c.id === 3), { what: 'entries 2 and 3 (well before claimIdleMs)', timeoutMs: 60_000 })
  assert.deepEqual(seen.map((c) => c.id), [1, 2, 3], 'each once, in order')
})
