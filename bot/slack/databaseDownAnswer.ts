import { parse as parseQuery } from 'node:querystring';
import type { Logger } from 'pino';
import type { Message } from '../../pipeline/message.ts';
import type { Notifier } from '../../pipeline/notifier.ts';
import { auditUnavailableMessage } from '../../pipeline/views/common.ts';
import { toResponse } from './toResponse.ts';

/** How to tell a person a request was not acted on, in the form Slack shows for its kind. */
export interface DatabaseDownAnswer {
  status: number;
  /** The HTTP answer's JSON body, when Slack shows it (a slash command, a modal). */
  body?: unknown;
  /** Clicks and shortcuts: Slack shows nothing of the answer; the message goes here instead. */
  followUp?: { responseUrl: string } | { slackUserId: string };
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * The answer to a signed Slack request dpbot cannot record because its database is unreachable
 * (the replay guard is the first thing to need it): nothing is done, and the person is told so.
 * A slash command's acknowledgement body is shown to its caller (ephemeral); a modal submission
 * can replace the modal; a click's acknowledgement is not shown, so the message goes to its
 * response_url, or as a direct message when it has none (App Home); option lists get none.
 * Events get 503, so Slack delivers them again later (it retries three times).
 */
export function databaseDownAnswer(contentType: string | undefined, text: string): DatabaseDownAnswer {
  const message = auditUnavailableMessage();
  if (contentType !== 'application/x-www-form-urlencoded') return { status: 503 };
  const form = parseQuery(text);
  if (typeof form.payload !== 'string') return { status: 200, body: toResponse(message) };
  let payload: unknown;
  try {
    payload = JSON.parse(form.payload);
  } catch {
    return { status: 200 };
  }
  if (!isRecord(payload)) return { status: 200 };
  if (payload.type === 'block_suggestion') return { status: 200, body: { options: [] } };
  if (payload.type === 'view_submission') return { status: 200, body: modalUpdate(message) };
  if (typeof payload.response_url === 'string')
    return { status: 200, followUp: { responseUrl: payload.response_url } };
  const user = isRecord(payload.user) && typeof payload.user.id === 'string' ? payload.user.id : undefined;
  return user && payload.type !== 'view_closed'
    ? { status: 200, followUp: { slackUserId: user } }
    : { status: 200 };
}

function modalUpdate(message: Message) {
  return {
    response_action: 'update',
    view: {
      type: 'modal',
      title: { type: 'plain_text', text: 'dpbot' },
      close: { type: 'plain_text', text: 'Close' },
      blocks: [{ type: 'section', text: { type: 'mrkdwn', text: message.text } }],
    },
  };
}

/** Delivers the follow-up of an answer; a failure is logged (the request stays not acted on). */
export async function sendFollowUp(
  followUp: NonNullable<DatabaseDownAnswer['followUp']>,
  deps: { notifier: Notifier; log: Logger },
): Promise<void> {
  const message = auditUnavailableMessage();
  try {
    if ('responseUrl' in followUp) {
      const response = await fetch(followUp.responseUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ ...toResponse(message), replace_original: false }),
        signal: AbortSignal.timeout(10_000),
      });
      await response.arrayBuffer();
      if (!response.ok) throw new Error(`the response URL answered ${response.status}`);
    } else {
      await deps.notifier.direct({ slackUserId: followUp.slackUserId, email: '' }, message);
    }
  } catch (error) {
    deps.log.warn({ err: error }, 'could not tell the person their request was not acted on');
  }
}
