// Errors of the contacts repository, with stable codes (@fastify/error). Each carries the HTTP
// status the app's single error handler answers with, and a message meant for the person who
// sent the request.
import createError from '@fastify/error'

/** Base of every contacts error: `error instanceof ContactsError`. */
export class ContactsError extends Error {
  declare readonly code: string
  declare readonly statusCode: 400 | 404 | 409
}

const base = ContactsError as unknown as ErrorConstructor

/** page, pageSize or after is not acceptable (the message says which and why). */
export const InvalidPageError = createError<'FLC_INVALID_PAGE', 400, [message: string]>('FLC_INVALID_PAGE', '%s', 400, base)

/** A page after the last one. Page 1 of an empty list is not an error. */
export class PageNotFoundError extends createError<'FLC_PAGE_NOT_FOUND', 404, [page: number]>(
  'FLC_PAGE_NOT_FOUND', 'Page %s does not exist: there are no contacts that far.', 404, base) {
  constructor (readonly page: number) {
    super(page)
  }
}

/** A contact's fields are missing or malformed; `field` names the first bad one. */
export class InvalidContactError extends createError<'FLC_INVALID_CONTACT', 400, [message: string]>('FLC_INVALID_CONTACT', '%s', 400, base) {
  constructor (readonly field: string, message: string) {
    super(message)
  }
}

export class DuplicateEmailError extends createError<'FLC_DUPLICATE_EMAIL', 409, [email: string]>(
  'FLC_DUPLICATE_EMAIL', 'A contact with the email %s already exists.', 409, base) {
  constructor (readonly email: string) {
    super(email)
  }
}

export class ContactNotFoundError extends createError<'FLC_CONTACT_NOT_FOUND', 404, [id: number]>(
  'FLC_CONTACT_NOT_FOUND', 'Contact %s does not exist.', 404, base) {
  constructor (readonly id: number) {
    super(id)
  }
}

/** For .catch() of a lookup: a contact that is not there is undefined; any other error is thrown on. */
export function goneOrThrow (error: unknown): undefined {
  if (error instanceof ContactNotFoundError) return undefined
  throw error
}
