// presence: how many people (browser sessions, not tabs) have this page or resource open, live
// across instances. Showing it is being present: {{component "presence" topic="contacts"}}
// joins the page's stream to the channel "presence:contacts", and while that stream is open
// this browser counts there (plugins/app/presence.ts). For a resource, one line in its template:
// {{component "presence" topic=presenceTopic}} with e.g. presenceTopic "contact-42" in its data
// (a topic is 1-64 letters, digits, _ or -).
import { defineComponent, PRESENCE_CHANGE, PRESENCE_FAMILY, PRESENCE_TOPIC_PATTERN, Type } from '#flc'

export const presence = defineComponent({
  name: 'presence',
  props: Type.Object({ topic: Type.String({ pattern: PRESENCE_TOPIC_PATTERN }) }, { additionalProperties: false }),
  live: {
    // Updates come on the topic's own channel "presence:<topic>" (a family member), published
    // by the presence plugin as {"topic": …}; the public channel "presence" carries nothing.
    channel: PRESENCE_FAMILY,
    message: PRESENCE_CHANGE,
    element: 'p',
    family: { prefix: PRESENCE_FAMILY, key: ({ topic }) => topic, authorize: () => true }
  },
  async data ({ topic }, { app, request }) {
    try {
      // Rendering a page: its viewer counts already (their stream opens next).
      const viewer = request === undefined ? undefined : (app.sessions.current(request) ?? null)
      const count = Math.max(1, await app.presence.countForPage(topic, viewer))
      return { count, alone: count === 1 }
    } catch (error) {
      // Presence is a nicety: the page still renders while its store is away.
      app.log.warn({ err: error, topic }, 'presence: counting failed')
      return { unknown: true }
    }
  }
})

export default presence
