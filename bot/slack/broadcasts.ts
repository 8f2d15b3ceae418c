import type { Message } from '../../pipeline/message.ts';

// Special mentions that notify a whole channel or user group. dpbot never posts one of its own, so
// any that reach Slack came from someone's text; escaping them here is the backstop behind the
// views' escaping of user text (pipeline/views/common.ts escapeMrkdwn).
const BROADCAST = /<!(here|channel|everyone|subteam\^[^>]*)(\|[^>]*)?>/g;

function defuse(value: unknown): unknown {
  if (typeof value === 'string') return value.replace(BROADCAST, (m) => `&lt;${m.slice(1, -1)}&gt;`);
  if (Array.isArray(value)) return value.map(defuse);
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, defuse(v)]));
  }
  return value;
}

/** A message's `text` and blocks as Slack gets them: with no channel-wide mention left live. */
export function slackPayload(message: Message): { text: string; blocks?: NonNullable<Message['blocks']> } {
  return {
    text: defuse(message.text) as string,
    ...(message.blocks ? { blocks: defuse(message.blocks) as NonNullable<Message['blocks']> } : {}),
  };
}
