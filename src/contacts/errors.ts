// Errors of the contacts repository. Each carries the HTTP status the app's single error
// handler answers with, and a message meant for the person who sent the request.

export abstract class ContactsError extends Error {
  abstract readonly statusCode: 400 | 404 | 409
}

/** page, pageSize or after is not acceptable. */
export class InvalidPageError extends ContactsError {
  readonly statusCode = 400
  override readonly name = 'InvalidPageError'
}

/** A page after the last one. Page 1 of an empty list is not an error. */
export class PageNotFoundError extends ContactsError {
  readonly statusCode = 404
  override readonly name = 'PageNotFoundError'
  constructor (readonly page: number) {
    super(`Page ${page} does not exist: there are no contacts that far.`)
  }
}

/** A contact's fields are missing or malformed; `field` names the first bad one. */
export class InvalidContactError extends ContactsError {
  readonly statusCode = 400
  override readonly name = 'InvalidContactError'
  constructor (readonly field: string, message: string) {
    super(message)
  }
}

export class DuplicateEmailError extends ContactsError {
  readonly statusCode = 409
  override readonly name = 'DuplicateEmailError'
  constructor (readonly email: string) {
    super(`A contact with the email ${email} already exists.`)
  }
}

export class ContactNotFoundError extends ContactsError {
  readonly statusCode = 404
  override readonly name = 'ContactNotFoundError'
  constructor (readonly id: number) {
    super(`Contact ${id} does not exist.`)
  }
}
