// Contacts storage: paging for click-to-load plus create, update and delete. Inputs are validated here,
// so every caller (routes, CLI, tests) gets the same typed errors and messages.
import type { Contact, PrismaClient } from '../generated/prisma/client.js'
import type { RawReader } from '../db/database.js'
import { cleanText } from '../util/text.js'
import { ContactStatus } from '../generated/prisma/enums.js'
import {
  ContactNotFoundError, DuplicateEmailError, InvalidContactError, InvalidPageError, PageNotFoundError
} from './errors.js'

export type ContactRow = Contact

export interface PageQuery {
  /** 1-based page number. */
  page: number
  /** Contacts per page; the repository default when omitted. */
  pageSize?: number
  /** Id of the last contact of the previous page: turns the query into a keyset query. */
  after?: number
}

export interface ContactsPage {
  contacts: ContactRow[]
  page: number
  pageSize: number
  hasNext: boolean
  nextPage: number | null
  /** The `after` to pass for the next page (the last id of this one). */
  nextCursor: number | null
}

export interface NewContact {
  firstName: string
  lastName: string
  email: string
  status?: ContactStatus
}

export type ContactPatch = Partial<NewContact>

export interface ContactsRepositoryOptions {
  /** Page size when a query does not give one (default 20). */
  defaultPageSize?: number
  /** Reports change listeners that fail (default: console.error). */
  log?: ContactsLogger
  /** Reads pages straight through the driver (see RawReader); without it pages go through Prisma. */
  raw?: RawReader
}

// The hot read: one prepared keyset query, columns named as Prisma names them.
const PAGE_AFTER = {
  name: 'flc_contacts_page_after',
  text: 'SELECT id, first_name AS "firstName", last_name AS "lastName", email, status::text AS status, created_at AS "createdAt" ' +
    'FROM contacts WHERE id > $1 ORDER BY id LIMIT $2'
}

export const MAX_PAGE_SIZE = 1000
const NAME_MAX = 100
const EMAIL_MAX = 254
// Ids are PostgreSQL `integer` (SERIAL): nothing exists beyond this, and Prisma rejects larger Ints.
const MAX_ID = 2_147_483_647
const EMAIL_SHAPE = /^[^\s@]+@[^\s@.]+(\.[^\s@.]+)+$/

function wholeNumber (value: unknown, name: string, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min || value > max) {
    throw new InvalidPageError(`${name} must be a whole number from ${min} to ${max}; got ${String(value)}.`)
  }
  return value
}

function text (value: unknown, field: string, label: string, max: number): string {
  // The one text rule (src/util/text.ts) first: NUL and other controls never reach the database.
  const clean = typeof value === 'string' ? cleanText(value).trim() : ''
  if (clean === '') {
    throw new InvalidContactError(field, `${label} is required.`)
  }
  const trimmed = clean
  if (trimmed.length > max) throw new InvalidContactError(field, `${label} must be at most ${max} characters.`)
  return trimmed
}

function email (value: unknown): string {
  const address = text(value, 'email', 'Email', EMAIL_MAX).toLowerCase()
  if (!EMAIL_SHAPE.test(address)) {
    throw new InvalidContactError('email', `Email "${address}" is not an email address (expected name@example.com).`)
  }
  return address
}

function status (value: unknown): ContactStatus {
  if (value !== ContactStatus.active && value !== ContactStatus.inactive) {
    throw new InvalidContactError('status', `Status must be "active" or "inactive"; got ${JSON.stringify(value)}.`)
  }
  return value
}

function contactId (id: unknown): number {
  if (typeof id !== 'number' || !Number.isSafeInteger(id) || id < 1) {
    throw new InvalidContactError('id', `Contact id must be a positive whole number; got ${String(id)}.`)
  }
  return id
}

function prismaCode (error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code
  return typeof code === 'string' ? code : undefined
}

export interface ContactsChange {
  kind: 'create' | 'update' | 'delete'
  /** The row as written (as it was, for a delete). */
  contact: ContactRow
}

/**
 * Told after every committed write (create, update, delete): caches of contact data listen.
 * A listener cannot undo or fail the write: what it throws (or its promise rejects with) is
 * logged and the write still succeeds.
 */
export type ContactsChangeListener = (change: ContactsChange) => void | Promise<void>

/** Where a failing change listener is reported (the app's logger). */
export interface ContactsLogger {
  error: (details: object, message: string) => void
}

export class ContactsRepository {
  readonly defaultPageSize: number
  readonly #listeners = new Set<ContactsChangeListener>()
  readonly #log: ContactsLogger
  readonly #raw: RawReader | undefined

  constructor (private readonly prisma: PrismaClient, options: ContactsRepositoryOptions = {}) {
    this.defaultPageSize = wholeNumber(options.defaultPageSize ?? 20, 'defaultPageSize', 1, MAX_PAGE_SIZE)
    this.#log = options.log ?? { error: (details, message) => console.error(message, details) }
    this.#raw = options.raw
  }

  /**
   * One page ordered by id. With `after` it reads `id > after` (keyset: a deep page costs what
   * the first costs); without it, e.g. /contacts/7 opened directly, it skips (page-1)*pageSize rows.
   * Throws InvalidPageError for bad input and PageNotFoundError past the end.
   */
  async page (query: PageQuery): Promise<ContactsPage> {
    const page = wholeNumber(query.page, 'page', 1, Number.MAX_SAFE_INTEGER)
    const pageSize = wholeNumber(query.pageSize ?? this.defaultPageSize, 'pageSize', 1, MAX_PAGE_SIZE)
    const after = query.after === undefined ? undefined : wholeNumber(query.after, 'after', 0, Number.MAX_SAFE_INTEGER)
    const skip = (page - 1) * pageSize

    // One row more than the page tells whether another page follows, without a COUNT. Page 1
    // without a cursor is the keyset query after 0 (ids start at 1).
    const keysetAfter = after ?? (page === 1 ? 0 : undefined)
    let rows: ContactRow[]
    if (keysetAfter !== undefined) {
      rows = keysetAfter >= MAX_ID ? [] : await this.#pageAfter(keysetAfter, pageSize + 1)
    } else {
      rows = skip >= MAX_ID
        ? []
        : await this.prisma.contact.findMany({ orderBy: { id: 'asc' }, skip, take: pageSize + 1 })
    }

    // Past the end: a later page, or a cursor beyond the last row (page 1 of an empty table is
    // an empty page, not an error).
    if (rows.length === 0 && (page > 1 || (after !== undefined && after > 0))) throw new PageNotFoundError(page)
    const hasNext = rows.length > pageSize
    const contacts = hasNext ? rows.slice(0, pageSize) : rows
    return {
      contacts,
      page,
      pageSize,
      hasNext,
      nextPage: hasNext ? page + 1 : null,
      nextCursor: hasNext ? contacts[contacts.length - 1]!.id : null
    }
  }

  /**
   * The hot path (every "Load more..." and every uncached table): one prepared keyset query
   * through the driver when there is a raw reader; else the same query through Prisma.
   */
  async #pageAfter (after: number, take: number): Promise<ContactRow[]> {
    if (this.#raw !== undefined) return await this.#raw<ContactRow>({ ...PAGE_AFTER, values: [after, take] })
    return await this.prisma.contact.findMany({ where: { id: { gt: after } }, orderBy: { id: 'asc' }, take })
  }

  /** Calls listener after each successful write; returns a function that stops it. */
  onChange (listener: ContactsChangeListener): () => void {
    this.#listeners.add(listener)
    return () => { this.#listeners.delete(listener) }
  }

  /** Runs after the write committed; each listener is isolated from the write and the others. */
  #changed (kind: ContactsChange['kind'], contact: ContactRow): ContactRow {
    for (const listener of this.#listeners) {
      try {
        const result = listener({ kind, contact })
        if (result instanceof Promise) result.catch((error: unknown) => this.#listenerFailed(kind, contact, error))
      } catch (error) {
        this.#listenerFailed(kind, contact, error)
      }
    }
    return contact
  }

  #listenerFailed (kind: ContactsChange['kind'], contact: ContactRow, error: unknown): void {
    try {
      this.#log.error({ err: error, change: kind, contactId: contact.id }, 'a contacts change listener failed; the write itself succeeded')
    } catch {} // a broken logger must not turn into a failed write either
  }

  async count (): Promise<number> {
    return this.prisma.contact.count()
  }

  /** Creates a contact. Names are trimmed, the email trimmed and lower-cased. */
  async create (input: NewContact): Promise<ContactRow> {
    const data = {
      firstName: text(input?.firstName, 'firstName', 'First name', NAME_MAX),
      lastName: text(input?.lastName, 'lastName', 'Last name', NAME_MAX),
      email: email(input?.email),
      status: input?.status === undefined ? ContactStatus.active : status(input.status)
    }
    let created: ContactRow
    try {
      created = await this.prisma.contact.create({ data })
    } catch (error) {
      if (prismaCode(error) === 'P2002') throw new DuplicateEmailError(data.email)
      throw error
    }
    return this.#changed('create', created)
  }

  /** Changes the given fields of contact `id`; fields left out keep their value. */
  async update (id: number, patch: ContactPatch): Promise<ContactRow> {
    contactId(id)
    const data: ContactPatch = {}
    if (patch?.firstName !== undefined) data.firstName = text(patch.firstName, 'firstName', 'First name', NAME_MAX)
    if (patch?.lastName !== undefined) data.lastName = text(patch.lastName, 'lastName', 'Last name', NAME_MAX)
    if (patch?.email !== undefined) data.email = email(patch.email)
    if (patch?.status !== undefined) data.status = status(patch.status)
    if (Object.keys(data).length === 0) {
      throw new InvalidContactError('patch', 'Nothing to update: give at least one of firstName, lastName, email, status.')
    }
    if (id > MAX_ID) throw new ContactNotFoundError(id)
    let updated: ContactRow
    try {
      updated = await this.prisma.contact.update({ where: { id }, data })
    } catch (error) {
      if (prismaCode(error) === 'P2025') throw new ContactNotFoundError(id)
      if (prismaCode(error) === 'P2002') throw new DuplicateEmailError(data.email ?? '')
      throw error
    }
    return this.#changed('update', updated)
  }

  /** One contact by id (ContactNotFoundError when there is none). */
  async get (id: number): Promise<ContactRow> {
    const valid = contactId(id)
    const row = valid > MAX_ID ? null : await this.prisma.contact.findUnique({ where: { id: valid } })
    if (row === null) throw new ContactNotFoundError(id)
    return row
  }

  /** Deletes contact `id` and returns it as it was (ContactNotFoundError when there is none). */
  async delete (id: number): Promise<ContactRow> {
    const valid = contactId(id)
    if (valid > MAX_ID) throw new ContactNotFoundError(id)
    let deleted: ContactRow
    try {
      deleted = await this.prisma.contact.delete({ where: { id: valid } })
    } catch (error) {
      if (prismaCode(error) === 'P2025') throw new ContactNotFoundError(id)
      throw error
    }
    return this.#changed('delete', deleted)
  }
}
