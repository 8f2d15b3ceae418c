import { parse as parseQuery } from 'node:querystring';

const FORM = 'application/x-www-form-urlencoded';
const strictUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

export type BodyCheck = { ok: true } | { ok: false; reason: string };

/** The body as text, or undefined when it is not UTF-8 (Slack's always is). */
export function utf8Text(body: Buffer): string | undefined {
  try {
    return strictUtf8.decode(body);
  } catch {
    return undefined;
  }
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * What Slack sends, in the shapes Bolt can take: a form with `command` (slash command), a form
 * whose `payload` is a JSON object with a `type` (interactivity), or a JSON object with a `type`
 * (events). Bolt reads fields of the parsed body outside any try (`body.ssl_check`) in a promise
 * nobody awaits, so a signed `payload=null` would reject unhandled and end the process; anything
 * else is refused here, before Bolt sees it.
 */
export function checkSlackBody(contentType: string | undefined, text: string): BodyCheck {
  // Bolt compares the content type exactly, and parses anything else as JSON.
  const media = contentType?.split(';')[0]?.trim().toLowerCase();
  let parsed: unknown;
  try {
    if (contentType === FORM) {
      const form = parseQuery(text);
      if (form.payload === undefined) {
        return typeof form.command === 'string'
          ? { ok: true }
          : {
              ok: false,
              reason: 'a form body needs a `command` (slash command) or a `payload` (interactivity)',
            };
      }
      if (typeof form.payload !== 'string') return { ok: false, reason: '`payload` is given more than once' };
      parsed = JSON.parse(form.payload);
    } else if (media === 'application/json') {
      parsed = JSON.parse(text);
    } else {
      return {
        ok: false,
        reason: `unsupported content type ${contentType ?? '(none)'}: Slack sends ${FORM} or application/json`,
      };
    }
  } catch {
    return { ok: false, reason: 'the request body is not valid JSON' };
  }
  if (!isRecord(parsed)) return { ok: false, reason: 'the request body must be a JSON object' };
  if (typeof parsed.type !== 'string') return { ok: false, reason: 'the request body has no `type`' };
  return { ok: true };
}
