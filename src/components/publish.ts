// Publishing to a channel component from outside the process: a body is checked with the
// component's declared message schema (or its message() check) and only the fields it knows
// are published on its channel. Used by POST /live/publish/<component> and `npm run publish`.
import type { Component } from './define.js'
import { InvalidMessageError, UnknownChannelComponentError } from '../errors.js'

/** The channel components among these (the ones a message can be published to). */
export function channelComponents (components: readonly Component[]): Component[] {
  return components.filter((component) => component.live !== undefined && component.live.tags.length === 0 && component.live.message !== undefined)
}

/** The component named `name` if it is a channel component; 404 naming the known ones otherwise. */
export function channelComponent (components: readonly Component[], name: string): Component {
  const channels = channelComponents(components)
  const found = channels.find((component) => component.name === name)
  if (found === undefined) throw new UnknownChannelComponentError(name, channels.map((c) => `"${c.name}"`).join(', ') || '(none)')
  return found
}

/** The payload to publish for a body, or 400 naming the field that failed (FLC_INVALID_MESSAGE). */
export function messagePayload (component: Component, body: unknown): string {
  const live = component.live
  const validator = live?.validator
  if (validator !== undefined) {
    const checked = validator.check(body)
    if (!checked.ok) throw new InvalidMessageError(checked.detail)
    return JSON.stringify(validator.known(checked.value))
  }
  // A component checking raw payloads itself: check the body as it would be published.
  const payload = JSON.stringify(body) ?? ''
  const checked = live?.message?.(payload)
  if (checked === undefined || !checked.ok) throw new InvalidMessageError(checked?.ok === false ? (checked.detail ?? checked.reason) : 'not a channel component')
  return payload
}
