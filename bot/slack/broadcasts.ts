import type { Message } from '../../pipeline/message.ts';

// Special mentions that notify a whole channel or user group. dpbot never posts one of its own, so
// any that reach Slack came from someone's text; escaping them here is the backstop behind the
// views' escaping of user text (pipeline/views/common.ts escapeMrkdwn).
const BROADCAST = /<!(here|channel|everyone|subteam\^[^>]*)(\|[^>]*)?>/g;

/**
 * What Slack reads between angle brackets in mrkdwn: a user, channel or user-group mention, a
 * date, a link (https://docs.slack.dev/messaging/formatting-message-text). dpbot writes these
 * itself; anything else between brackets is someone's text (`Ada <ada@example.com>`, `<name>` in
 * a usage line) that Slack would turn into a link or swallow.
 */
const CONTROL =
  /^<(?:@[UW][A-Z0-9]+(?:\|[^>]*)?|#[CG][A-Z0-9]+(?:\|[^>]*)?|!subteam\^[A-Z0-9]+(?:\|[^>]*)?|!date\^[^>]+|(?:https?|mailto|slack):[^>|\s]+(?:\|[^>]*)?)>$/;

/** Escapes every `<…>` (or lone `<`) that is not one of Slack's control sequences. */
export function escapeLooseBrackets(text: string): string {
  return text.replace(/<[^<>]*>?/g, (m) =>
    CONTROL.test(m) ? m : `&lt;${m.endsWith('>') ? `${m.slice(1, -1)}&gt;` : m.slice(1)}`,
  );
}

function defuse(value: unknown, inMrkdwn: boolean): unknown {
  if (typeof value === 'string') {
    const quiet = value.replace(BROADCAST, (m) => `&lt;${m.slice(1, -1)}&gt;`);
    return inMrkdwn ? escapeLooseBrackets(quiet) : quiet;
  }
  if (Array.isArray(value)) return value.map((v) => defuse(v, false));
  if (value && typeof value === 'object') {
    // Only a mrkdwn text object's `text` is formatted; plain text shows brackets as written.
    const mrkdwn = (value as { type?: unknown }).type === 'mrkdwn';
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, defuse(v, mrkdwn && k === 'text')]));
  }
  return value;
}

/**
 * A message's `text` and blocks as Slack gets them: no channel-wide mention left live, and no
 * text between angle brackets that Slack would read as markup. The views escape what people
 * typed; this is the backstop at the edge, which the fallback `text` (written as plain sentences
 * by every handler) needs most.
 */
export function slackPayload(message: Message): { text: string; blocks?: NonNullable<Message['blocks']> } {
  return {
    text: defuse(message.text, true) as string,
    ...(message.blocks ? { blocks: defuse(message.blocks, false) as NonNullable<Message['blocks']> } : {}),
  };
}
