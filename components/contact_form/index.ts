// contact_form: adds a contact. POST /contacts (CSRF-checked) validates every field with
// TypeBox and answers, for htmx:
// - 201: a fresh form saying what was added, plus the new row out of band at the top of the
//   table (#contacts-added);
// - 422 (invalid fields) or 409 (email taken): the form again with an inline error per field
//   and everything the person typed.
// Without htmx (no JavaScript) a success redirects to the page and an error shows the form.
import {
  defineComponent, DuplicateEmailError, InvalidContactError, Type,
  type FastifyInstance, type Static, type TypeBoxTypeProvider
} from '#flc'
import { checkContactForm, ContactFormBody, FIELDS, type ContactFormValues } from './fields.js'

const Text = Type.Optional(Type.String())
export const ContactFormProps = Type.Object({
  csrfToken: Type.String(),
  values: Type.Optional(Type.Object({ firstName: Text, lastName: Text, email: Text, status: Text })),
  errors: Type.Optional(Type.Object({ firstName: Text, lastName: Text, email: Text, status: Text })),
  /** "Added Ada Lovelace (#42)." after a success. */
  added: Type.Optional(Type.String())
}, { additionalProperties: false })

export const contactForm = defineComponent({
  name: 'contact_form',
  props: ContactFormProps,
  routes: (fastify) => contactRoute(fastify),
  data: (props) => ({ ...props, inactive: props.values?.status === 'inactive' })
})

export default contactForm

type FormProps = Static<typeof ContactFormProps>

// The new row goes to the top of the table (#contacts-added) beside the form's own swap.
// htmx 2: <template> keeps the <tbody>/<tr> intact through htmx's parsing; the tbody's tags are
// stripped by the afterbegin swap. htmx 4 does not look for hx-swap-oob inside a <template>
// (the template would stay in the page): its <hx-partial> carries the row instead.
const htmx2OutOfBand = (row: string): string =>
  `<template><tbody hx-swap-oob="afterbegin:#contacts-added">${row}</tbody></template>`
const htmx4Partial = (row: string): string =>
  `<hx-partial hx-target="#contacts-added" hx-swap="afterbegin">${row}</hx-partial>`

function contactRoute (fastify: FastifyInstance): void {
  // The new row looks exactly like the table's rows: the partial click_to_load declares.
  const renderRow = fastify.components.partial('contact_row')
  const newRowOutOfBand = fastify.config.HTMX_VERSION === '4' ? htmx4Partial : htmx2OutOfBand

  fastify.withTypeProvider<TypeBoxTypeProvider>().post('/contacts', {
    // preValidation, not onRequest: without JavaScript the token comes in the parsed body (_csrf).
    preValidation: fastify.csrfProtection,
    schema: { body: ContactFormBody }
  }, async (request, reply) => {
    const isHtmx = request.headers['hx-request'] === 'true'
    const values: ContactFormValues = Object.fromEntries(FIELDS.map((field) => [field, request.body[field] ?? ''])) as ContactFormValues
    const form = async (status: number, props: Omit<FormProps, 'csrfToken'>) =>
      await reply.code(status).fragment(contactForm, { ...props, csrfToken: reply.generateCsrf() })

    const checked = checkContactForm(values)
    if (!checked.ok) return await form(422, { values, errors: checked.errors })
    try {
      const contact = await fastify.contacts.create(checked.value)
      if (!isHtmx) return await reply.redirect('/', 303)
      const { html } = await fastify.components.render('contact_form', {
        csrfToken: reply.generateCsrf(),
        added: `Added ${contact.firstName} ${contact.lastName} (#${contact.id}).`
      }, request)
      const row = newRowOutOfBand(renderRow(contact))
      return await reply.code(201).type('text/html; charset=utf-8').send(`${html}${row}`)
    } catch (error) {
      if (error instanceof DuplicateEmailError) return await form(409, { values, errors: { email: error.message } })
      if (error instanceof InvalidContactError && (FIELDS as readonly string[]).includes(error.field)) {
        return await form(422, { values, errors: { [error.field]: error.message } })
      }
      throw error
    }
  })
}
