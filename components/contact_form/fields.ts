// The contact form's fields and their rules (TypeBox), checked all at once so every bad field
// gets its own inline message. The repository checks again (trimmed, lower-cased email): this
// is for people, that is for every caller.
import { cleanText, Type, TypeCompiler, ValueErrorType, type Static } from '#flc'

export const FIELDS = ['firstName', 'lastName', 'email', 'status'] as const
export type ContactFormValues = Record<typeof FIELDS[number], string>

const MAX_FIELD = 1000
/** What the route accepts: any text up to a bound (rules come after, field by field). */
export const ContactFormBody = Type.Object({
  firstName: Type.Optional(Type.String({ maxLength: MAX_FIELD })),
  lastName: Type.Optional(Type.String({ maxLength: MAX_FIELD })),
  email: Type.Optional(Type.String({ maxLength: MAX_FIELD })),
  status: Type.Optional(Type.String({ maxLength: MAX_FIELD })),
  _csrf: Type.Optional(Type.String({ maxLength: MAX_FIELD }))
})

export const NewContactFields = Type.Object({
  firstName: Type.String({ minLength: 1, maxLength: 100 }),
  lastName: Type.String({ minLength: 1, maxLength: 100 }),
  email: Type.String({ maxLength: 254, pattern: '^[^\\s@]+@[^\\s@.]+(\\.[^\\s@.]+)+$' }),
  status: Type.Union([Type.Literal('active'), Type.Literal('inactive')])
})

const check = TypeCompiler.Compile(NewContactFields)

const LABELS: Record<string, string> = { firstName: 'First name', lastName: 'Last name', email: 'Email', status: 'Status' }

function message (field: string, type: ValueErrorType, value: unknown): string {
  const label = LABELS[field] ?? field
  if (value === '') return `${label} is required.`
  if (type === ValueErrorType.StringMaxLength) return `${label} is too long.`
  if (field === 'email') return 'Enter an email address like name@example.com.'
  if (field === 'status') return 'Status must be active or inactive.'
  return `${label} is not valid.`
}

export type FormCheck =
  | { ok: true, value: Static<typeof NewContactFields> }
  | { ok: false, errors: Partial<ContactFormValues> }

export function checkContactForm (values: ContactFormValues): FormCheck {
  // The service's one text rule (src/util/text.ts) before any other: the form and the repository agree.
  const trimmed = {
    firstName: cleanText(values.firstName).trim(),
    lastName: cleanText(values.lastName).trim(),
    email: cleanText(values.email).trim().toLowerCase(),
    status: values.status === '' ? 'active' : values.status
  }
  const errors: Partial<ContactFormValues> = {}
  for (const error of check.Errors(trimmed)) {
    const field = error.path.replace(/^\//, '') as keyof ContactFormValues
    errors[field] ??= message(field, error.type, error.value)
  }
  return Object.keys(errors).length === 0 ? { ok: true, value: trimmed as Static<typeof NewContactFields> } : { ok: false, errors }
}
