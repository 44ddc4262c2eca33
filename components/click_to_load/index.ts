// click_to_load: htmx's click-to-load example as a component. It renders one page of contacts;
// when another page follows, its last row is the "Load more..." button that fetches it.
// Each row edits its status and deletes its contact (rows.ts).
// Usable inside a page ({{component "click_to_load" page=1}}) and as its own route.
import type { FastifyInstance } from 'fastify'
import { Type } from '@sinclair/typebox'
import { defineComponent } from '../../src/components/define.js'
import { sourceDirOf } from '../../src/paths.js'
import { componentRoute } from '../../src/components/route.js'
import { rowRenderer, rowRoutes } from './rows.js'

export const MAX_PAGE = 1_000_000_000

export const ClickToLoadProps = Type.Object({
  page: Type.Integer({ minimum: 1, maximum: MAX_PAGE }),
  /** Id of the previous page's last contact: makes the page a cheap keyset query. */
  after: Type.Optional(Type.Integer({ minimum: 0 }))
}, { additionalProperties: false })

export const clickToLoad = defineComponent({
  name: 'click_to_load',
  dir: sourceDirOf(import.meta.url),
  props: ClickToLoadProps,
  // Pages are rendered once per TTL; a write through fastify.contacts drops them at once, in
  // every process. The TTL bounds staleness for writes made outside the app.
  cache: { ttlMs: ({ app }) => app.config.CONTACTS_CACHE_TTL_MS, tags: ['contacts'] },
  async data ({ page, after }, { app }) {
    const result = await app.contacts.page({ page, pageSize: app.config.CONTACTS_PAGE_SIZE, after })
    const nextUrl = result.nextPage === null
      ? null
      : `/contacts/${result.nextPage}${result.nextCursor === null ? '' : `?after=${result.nextCursor}`}`
    return { contacts: result.contacts, nextUrl }
  }
})

export default async function clickToLoadPlugin (fastify: FastifyInstance): Promise<void> {
  fastify.components.register(clickToLoad)
  const renderRow = rowRenderer(fastify, clickToLoad)
  fastify.components.handlebars.registerPartial('contact_row', (row: Parameters<typeof renderRow>[0]) => renderRow(row))
  const stopListening = fastify.contacts.onChange(() => fastify.components.invalidate('contacts'))
  fastify.addHook('onClose', async () => stopListening())

  // GET /contacts/2?after=40: the props schema is the route's schema (page from the path,
  // after from the querystring), validated and converted by Fastify.
  componentRoute(fastify, clickToLoad, { url: '/contacts/:page' })
  await rowRoutes(fastify, renderRow)
}
