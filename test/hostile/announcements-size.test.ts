// Outside announcements are bounded in bytes, not only in count (issue 15, finding 8): an entry
// over ANNOUNCEMENT_MAX_BYTES is measured, acknowledged and deleted in Redis by the read script,
// never handed to the process whole; it is counted and logged at a bounded rate, and the
// announcements around it still go through.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { Redis } from 'ioredis'
import { ANNOUNCEMENT_FIELD, ANNOUNCEMENT_MAX_BYTES, addAnnouncement, announcementsKey } from '../../src/live/announce/announcements.js'
import { AnnouncementReader } from '../../src/live/announce/announcement-reader.js'
import type { Change } from '../../src/components/define.js'
import { redisPrefix, requireRedis, uniqueName } from '../helpers/services.js'
import { waitFor } from '../helpers/wait.js'

test('oversized announcements are deleted in Redis unread, counted and logged; the others are announced', async (t) => {
  const url = await requireRedis(t)
  if (url === undefined) return
  const prefix = redisPrefix(t, url, 'flc_announce_size')
  const key = announcementsKey(prefix)
  const writer = new Redis(url)
  t.after(() => writer.disconnect())
  const seen: Change[] = []
  const warnings: Array<Record<string, unknown>> = []
  const reader = await AnnouncementReader.open({
    url,
    prefix,
    consumer: uniqueName('flc_consumer'),
    connectionName: uniqueName('flc_announce'),
    announce: (tags, change) => { seen.push({ tags, ...change }) },
    logger: { debug () {}, info () {}, warn: (details: object) => { warnings.push(details as Record<string, unknown>) }, error () {} }
  })
  t.after(() => reader.close())

  // Written before the reader starts: the group is created from the start of the stream.
  await addAnnouncement(writer, prefix, { tags: ['contacts'], id: 1 })
  const huge = 'x'.repeat(2 * 1024 * 1024)
  for (let i = 0; i < 4; i++) await writer.xadd(key, '*', ANNOUNCEMENT_FIELD, `{"tags":["contacts"],"pad":"${huge}"}`)
  // Just over the bound, in an extra field: the whole entry counts.
  await writer.xadd(key, '*', ANNOUNCEMENT_FIELD, '{"tags":["contacts"],"id":7}', 'extra', 'y'.repeat(ANNOUNCEMENT_MAX_BYTES))
  await addAnnouncement(writer, prefix, { tags: ['contacts'], id: 2 })
  reader.start()

  await waitFor(() => seen.some((c) => c.id === 2), { what: 'the announcement after the oversized ones' })
  assert.deepEqual(seen.map((c) => c.id), [1, 2], 'only the two of a sane size')
  const stats = reader.stats()
  assert.equal(stats.oversized, 5)
  assert.equal(stats.rejected, 5)
  assert.equal(await writer.xlen(key), 2, 'the oversized entries are gone from the stream')
  const pending = await writer.xpending(key, 'flc-broadcasts') as [number, ...unknown[]]
  assert.equal(pending[0], 0, 'nothing left pending')
  const logged = warnings.filter((w) => Array.isArray(w.ids))
  assert.ok(logged.length >= 1 && logged.length <= 10, `logged at a bounded rate (${logged.length} lines)`)
  assert.ok((logged[0]?.bytes as number[]).every((bytes) => bytes > ANNOUNCEMENT_MAX_BYTES), 'the log names the sizes')
})
