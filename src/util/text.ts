// One rule for every string the service stores or renders (contact fields, live messages,
// component props from a URL): what a reader cannot see, PostgreSQL cannot store, or a terminal
// or log would act on is removed at the boundary where the text comes in.
//
// Removed, never refused: these characters are invisible, cannot be typed into the form, and
// arrive by paste or from publishers that cannot be told (a channel message has no one to
// answer), so removing them loses nothing a reader could see. What remains is then checked like
// any text (required, length, shape), so a field made only of them is "required".
//
// - NUL (PostgreSQL cannot store it), the other C0 controls, DEL and the C1 controls: removed.
// - Tab, CR, LF and the Unicode line and paragraph separators (U+2028, U+2029): single-line
//   text (names, emails, titles) gets one space for each run of them; multi-line text keeps
//   tabs and gets "\n" for every line break.
// - Lone UTF-16 surrogates (not text at all, and not valid UTF-8): U+FFFD.

// eslint-disable-next-line no-control-regex -- matching control characters is the point
const CONTROLS = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]/g
const LINE_BREAKS = /\r\n?|[\n\u2028\u2029]/g
const BREAKS_AND_TABS = /[\t\r\n\u2028\u2029]+/g
const LONE_SURROGATES = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g
// Cheap test first: most text has none of these, and this runs on every field.
// eslint-disable-next-line no-control-regex -- see above
const ANYTHING_TO_CLEAN = /[\u0000-\u001F\u007F-\u009F\u2028\u2029\uD800-\uDFFF]/

export interface CleanTextOptions {
  /** Keep tabs and line breaks (as "\n"); default: single-line. */
  multiline?: boolean
}

export function cleanText (text: string, options: CleanTextOptions = {}): string {
  if (!ANYTHING_TO_CLEAN.test(text)) return text
  const visible = text.replace(CONTROLS, '').replace(LONE_SURROGATES, '\uFFFD')
  return options.multiline === true ? visible.replace(LINE_BREAKS, '\n') : visible.replace(BREAKS_AND_TABS, ' ')
}

/** A shallow copy of an object with cleanText applied to each of its top-level strings. */
export function cleanStrings<T extends object> (value: T, options: CleanTextOptions = {}): T {
  const copy = { ...value } as Record<string, unknown>
  for (const [key, field] of Object.entries(copy)) {
    if (typeof field === 'string') copy[key] = cleanText(field, options)
  }
  return copy as T
}
