// click_to_load: htmx's click-to-load example as a component. It renders one page of contacts;
// when another page follows, its last row is the "Load more..." button that fetches it.
// Each row (row.hbs, the partial "contact_row" other components use too) edits its status and
// deletes its contact (rows.ts). Usable inside a page ({{component "click_to_load" page=1}})
// and as its own route: GET /contacts/2?after=40 (the props schema is the route's schema).
import { defineComponent, Type } from '#flc'
import { rowRoutes } from './rows.js'

export const MAX_PAGE = 1_000_000_000

export const ClickToLoadProps = Type.Object({
  page: Type.Integer({ minimum: 1, maximum: MAX_PAGE }),
  /** Id of the previous page's last contact: makes the page a cheap keyset query (ids are int4). */
  after: Type.Optional(Type.Integer({ minimum: 0, maximum: 2_147_483_647 }))
}, { additionalProperties: false })

export const clickToLoad = defineComponent({
  name: 'click_to_load',
  props: ClickToLoadProps,
  route: '/contacts/:page',
  partials: { contact_row: 'row.hbs' },
  routes: rowRoutes,
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

export default clickToLoad
