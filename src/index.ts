// The public entry for component authors: components import everything they need from '#flc'
// (package.json "imports"; dist/package.json maps it to the built file), never from ../../src/.
export { defineComponent } from './components/define.js'
export type {
  Change, Component, ComponentFiles, ComponentOptions, ComponentLiveOptions, LiveFamilyOptions, LiveMessageCheck, RenderContext
} from './components/define.js'
export { componentRoute } from './components/route.js'
export { MAX_MESSAGE_BYTES, messageValidator, type MessageCheck, type MessageValidator } from './components/message.js'
export { cleanStrings, cleanText } from './util/text.js'
export { isPlainCssColor, PLAIN_CSS_COLOR_HINT } from './util/css-color.js'
export { bearerGuard } from './http/bearer.js'
export { goneOrThrow } from './contacts/errors.js'
export type { ContactRow } from './contacts/repository.js'
export * from './errors.js'
export { Type, type Static, type TObject, type TSchema } from '@sinclair/typebox'
export { TypeCompiler } from '@sinclair/typebox/compiler'
export { ValueErrorType } from '@sinclair/typebox/errors'
export type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
export type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
