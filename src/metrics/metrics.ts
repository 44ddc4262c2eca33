// The service's Prometheus registry: process metrics (prom-client's defaults), HTTP request
// durations (observed per request), and everything the live system, the broker and the
// database already count in their stats() objects, read at scrape time.
import { collectDefaultMetrics, Registry, type Metric } from 'prom-client'
import type { Broker } from '../live/broker/broker.js'
import type { Live } from '../live/channels/live-hub.js'
import type { LiveChannelStats } from '../live/channels/live-channel.js'
import type { DatabaseStats } from '../db/database.js'
import type { BroadcastStats } from '../live/announce/broadcasts.js'
import type { AnnouncementStats } from '../live/announce/announcement-reader.js'
import type { PresenceStats } from '../presence/presence.js'
import type { ConnectionStats } from '../server/connection-guard.js'
import { HttpDurations } from './http-durations.js'
import { histogramSamples, SnapshotMetric, type MetricType, type Sample } from './snapshot-metric.js'

export interface MetricSources {
  live: Live
  broker: Broker
  database: () => DatabaseStats
  /** Live components from data; undefined while (or when) the app has none. */
  broadcasts?: () => BroadcastStats | undefined
  /** The reader of outside announcements; undefined without Redis. */
  announcements?: () => AnnouncementStats | undefined
  /** Presence (plugins/app/presence.ts); undefined when the app has none. */
  presence?: () => PresenceStats | undefined
  /** The TCP connection caps (plugins/app/connection-guard.ts). */
  connections?: () => ConnectionStats | undefined
}

export interface Metrics {
  readonly registry: Registry
  /** HTTP request durations; labels method, route (the route pattern, never the raw URL), status_code. */
  readonly httpDuration: HttpDurations
  /** The exposition text and its content type. */
  scrape (): Promise<{ contentType: string, body: string }>
}

function perChannel (read: (channel: LiveChannelStats) => Sample[]): (live: Live) => Sample[] {
  return (live) => live.stats().channels.flatMap(read)
}

function byReason (counts: Record<string, number>, labels: Record<string, string>): Sample[] {
  return Object.entries(counts).map(([reason, value]) => ({ labels: { ...labels, reason }, value }))
}

export function createMetrics (sources: MetricSources): Metrics {
  const registry = new Registry()
  collectDefaultMetrics({ register: registry })

  const add = (name: string, help: string, type: MetricType, read: () => Sample[]) => {
    registry.registerMetric(new SnapshotMetric(name, help, type, read) as unknown as Metric)
  }
  const httpDuration = new HttpDurations('http_request_duration_seconds')
  add(httpDuration.name, 'HTTP request durations by route pattern (SSE streams are counted in flc_live_streams_open instead)', 'histogram', () => httpDuration.samples())
  const { live, broker } = sources
  const channelLabels = (c: LiveChannelStats) => ({ channel: c.channel, event: c.event })
  const fromChannels = (read: (channel: LiveChannelStats) => Sample[]) => () => perChannel(read)(live)

  add('flc_live_streams_open', 'Open SSE streams, all channels', 'gauge', () => [{ value: live.stats().clients }])
  add('flc_live_clients', 'Open SSE streams per live channel', 'gauge', fromChannels((c) => [{ labels: channelLabels(c), value: c.clients }]))
  add('flc_live_messages_total', 'Messages received from the broker per live channel', 'counter', fromChannels((c) => [{ labels: channelLabels(c), value: c.messages }]))
  add('flc_live_unread_total', 'Messages not rendered because no browser of this process read the channel (rendered on demand if one replays them)', 'counter', fromChannels((c) => [{ labels: channelLabels(c), value: c.unread }]))
  add('flc_live_deliveries_total', 'Frames written to browsers (one message to ten browsers counts ten), replays included', 'counter', fromChannels((c) => [{ labels: channelLabels(c), value: c.delivered }]))
  add('flc_live_replayed_total', 'Frames written from history when a browser reconnected with a last id', 'counter', fromChannels((c) => [{ labels: channelLabels(c), value: c.replayed }]))
  add('flc_live_dropped_total', 'Messages the render rejected, by reason', 'counter', fromChannels((c) => byReason(c.dropped, channelLabels(c))))
  add('flc_live_evictions_total', 'Browsers disconnected for not reading fast enough (SSE_MAX_QUEUE_BYTES)', 'counter', fromChannels((c) => [{ labels: channelLabels(c), value: c.evicted }]))
  add('flc_live_resets_total', 'Reset events sent instead of a replay, by reason (too-old, lost, unknown, malformed)', 'counter', fromChannels((c) => byReason(c.resets, channelLabels(c))))
  add('flc_live_render_seconds', 'Time to render one live message (once per message per process)', 'histogram', fromChannels((c) => histogramSamples('flc_live_render_seconds', channelLabels(c), c.renderSeconds)))
  add('flc_live_delivery_lag_seconds', 'From the broker storing a message (its id time) to this process receiving it', 'histogram', fromChannels((c) => histogramSamples('flc_live_delivery_lag_seconds', channelLabels(c), c.deliveryLagSeconds)))

  const brokerCounter = (name: string, help: string, read: (s: ReturnType<Broker['stats']>) => number) =>
    add(name, help, 'counter', () => [{ labels: { kind: broker.kind }, value: read(broker.stats()) }])
  brokerCounter('flc_broker_published_total', 'Messages stored through publish()', (s) => s.published)
  brokerCounter('flc_broker_rejected_too_large_total', 'Payloads refused for their size', (s) => s.rejectedTooLarge)
  brokerCounter('flc_broker_raw_ingested_total', 'Raw PUBLISH messages this process stored (Redis)', (s) => s.rawIngested)
  brokerCounter('flc_broker_raw_duplicates_total', 'Raw PUBLISH messages another process had already stored (Redis)', (s) => s.rawDuplicates)
  brokerCounter('flc_broker_rejected_input_total', 'Messages and entries from Redis dropped as malformed, forged or not accepted there (logged at a bounded rate)', (s) => s.rejectedInput)
  brokerCounter('flc_broker_resubscriptions_total', 'Times the Redis subscriber came back and re-subscribed', (s) => s.resubscriptions)
  add('flc_broker_channels', 'Broker channels with a local subscriber', 'gauge', () => [{ labels: { kind: broker.kind }, value: broker.stats().channels }])
  add('flc_broker_publish_seconds', 'publish() round trip until the broker confirmed the message stored', 'histogram',
    () => histogramSamples('flc_broker_publish_seconds', { kind: broker.kind }, broker.stats().publishSeconds))

  /** Counters of a stats() source that may be absent (no sample then, not a 0 that would lie). */
  const optionalCounters = <S>(source: (() => S | undefined) | undefined) => (name: string, help: string, read: (stats: S) => number) =>
    add(name, help, 'counter', () => {
      const stats = source?.()
      return stats === undefined ? [] : [{ value: read(stats) }]
    })
  const broadcastCounter = optionalCounters<BroadcastStats>(sources.broadcasts)
  broadcastCounter('flc_broadcast_announced_total', 'Data changes announced in this process (writes through the app, outside announcements it read)', (s) => s.announced)
  broadcastCounter('flc_broadcast_published_total', 'Live component updates published (one per affected component per change, or per coalescing window)', (s) => s.published)
  broadcastCounter('flc_broadcast_coalesced_total', 'Replace updates merged into the trailing update of their window (bursts, bulk writes)', (s) => s.coalesced)
  broadcastCounter('flc_broadcast_shed_total', 'Item updates over the per-window cap, not sent (they show on reload)', (s) => s.shed)
  broadcastCounter('flc_broadcast_renders_total', 'Live component updates rendered in this process (once per update, whatever the pages)', (s) => s.renders)
  const announcementCounter = optionalCounters<AnnouncementStats>(sources.announcements)
  announcementCounter('flc_announcements_received_total', 'Outside announcements (XADD <prefix>broadcast:announcements) this instance read', (s) => s.received)
  announcementCounter('flc_announcements_rejected_total', 'Outside announcements dropped as malformed', (s) => s.rejected)
  announcementCounter('flc_announcements_claimed_total', 'Outside announcements taken over from an instance that did not acknowledge them', (s) => s.claimed)
  announcementCounter('flc_announcements_errors_total', 'Redis commands of the announcement reader that failed (it retries)', (s) => s.errors)

  const presenceSample = (read: (stats: PresenceStats) => number) => () => {
    const stats = sources.presence?.()
    return stats === undefined ? [] : [{ value: read(stats) }]
  }
  add('flc_presence_streams', 'Open page streams counted on presence topics (a stream on two topics counts two)', 'gauge', presenceSample((s) => s.streams))
  add('flc_presence_held', 'Distinct (topic, browser session) pairs this instance holds and renews', 'gauge', presenceSample((s) => s.held))
  add('flc_presence_updates_total', 'Presence updates published (a topic\'s count changed; coalesced per topic)', 'counter', presenceSample((s) => s.updates))
  add('flc_presence_errors_total', 'Presence store operations that failed (the next renewal sets them right)', 'counter', presenceSample((s) => s.errors))

  add('flc_connections_open', 'Open TCP connections of the HTTP server (streams included)', 'gauge', () => {
    const stats = sources.connections?.()
    return stats === undefined ? [] : [{ value: stats.open }]
  })
  add('flc_connections_refused_total', 'Sockets closed when accepted, by reason (per-client: the address held CONNECTIONS_PER_CLIENT; process: CONNECTIONS_MAX reached)', 'counter', () => {
    const stats = sources.connections?.()
    return stats === undefined ? [] : byReason({ 'per-client': stats.refusedPerClient, process: stats.refusedProcess }, {})
  })
  announcementCounter('flc_announcements_oversized_total', 'Outside announcements over the size bound, dropped in Redis without being read', (s) => s.oversized)

  add('flc_db_query_seconds', 'Database query durations (as Prisma measured them)', 'histogram', () => {
    const stats = sources.database()
    return histogramSamples('flc_db_query_seconds', { kind: stats.kind }, stats.querySeconds)
  })
  add('flc_db_pool_connections', 'Database pool connections by state (total, idle, waiting = requests queued for one, max)', 'gauge', () => {
    const { kind, pool } = sources.database()
    return Object.entries(pool).map(([state, value]) => ({ labels: { kind, state }, value }))
  })

  return {
    registry,
    httpDuration,
    async scrape () {
      return { contentType: registry.contentType, body: await registry.metrics() }
    }
  }
}
