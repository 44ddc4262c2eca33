// Errors of the contacts repository: defined in the one catalog (src/errors.ts). Each carries
// the HTTP status the app's single error handler answers with, and a message meant for the
// person who sent the request.
import { ContactNotFoundError } from '../errors.js'

export { ContactsError, InvalidPageError, PageNotFoundError, InvalidContactError, DuplicateEmailError, ContactNotFoundError } from '../errors.js'

/** For .catch() of a lookup: a contact that is not there is undefined; any other error is thrown on. */
export function goneOrThrow (error: unknown): undefined {
  if (error instanceof ContactNotFoundError) return undefined
  throw error
}
