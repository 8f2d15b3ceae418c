import { randomUUID } from 'node:crypto';
import type { App, ViewResponseAction } from '@slack/bolt';
import type { Message } from '../../../pipeline/message.ts';
import { COMMAND_MODAL, modalSubmissionToText } from '../../../pipeline/views/modal.ts';
import { accessVersionOf } from '../accessVersion.ts';
import { arrivedAt } from '../ingress.ts';
import type { SlackDeps } from '../slackDeps.ts';
import { SlackResponder } from '../slackResponder.ts';

/**
 * Slack does not say how long an error under an input may be; a problem longer than a few lines
 * is cut so the form stays readable (the whole of it is in the audit row).
 */
const FIELD_ERROR_MAX = 300;

/** The block ids of the view's input blocks: the only keys Slack takes in `errors`. */
function inputBlockIds(view: { blocks?: readonly unknown[] }): Set<string> {
  const ids = new Set<string>();
  for (const block of view.blocks ?? []) {
    const b = block as { type?: string; block_id?: string };
    if (b.type === 'input' && b.block_id) ids.add(b.block_id);
  }
  return ids;
}

/**
 * The `errors` answer for a refusal whose problems are all about inputs of this form; undefined
 * when any of them needs a look elsewhere (then the form closes and the answer comes as a message).
 */
export function formErrors(
  message: Message | undefined,
  view: { blocks?: readonly unknown[] },
): Record<string, string> | undefined {
  const fields = message?.fieldErrors;
  if (!fields) return undefined;
  const inputs = inputBlockIds(view);
  const entries = Object.entries(fields);
  if (entries.length === 0 || entries.some(([name]) => !inputs.has(name))) return undefined;
  return Object.fromEntries(
    entries.map(([name, problem]) => [
      name,
      problem.length > FIELD_ERROR_MAX ? `${problem.slice(0, FIELD_ERROR_MAX - 1)}…` : problem,
    ]),
  );
}

/**
 * A submitted command form becomes command text and runs through the pipeline like a typed
 * command. Its acknowledgement waits for the command's first answer: bad values are answered with
 * `response_action: "errors"`, each under its input, and the form stays open with everything the
 * person filled in; anything else closes it and comes as a message. At the deadline the form is
 * closed regardless, and what follows comes as messages.
 */
export function registerViews(app: App, deps: SlackDeps): void {
  app.view(COMMAND_MODAL, async ({ ack, body, view, client, context }) => {
    const received = arrivedAt(context);
    let parsed: ReturnType<typeof modalSubmissionToText>;
    const responderFor = (channel: string | null) =>
      new SlackResponder({ notifier: deps.notifier, client, channel, userId: body.user.id, log: deps.log });
    try {
      parsed = modalSubmissionToText(view);
    } catch (error) {
      await ack();
      deps.log.warn({ err: error }, 'a submitted form could not be read');
      await responderFor(null).send({ text: 'dpbot could not read that form; run the command again.' });
      return;
    }
    const responder = responderFor(parsed.metadata.channel);
    let acked = false;
    const close = async () => {
      if (acked) return false;
      acked = true;
      clearTimeout(timer);
      await ack();
      return true;
    };
    // Slack's clock started when the request arrived, not when Bolt handed it over.
    const timer = setTimeout(
      () => {
        void close().catch((error: unknown) => deps.log.warn({ err: error }, 'could not close a form'));
      },
      Math.max(0, deps.ackDeadlineMs - (performance.now() - received)),
    );
    try {
      await deps.pipeline.handleText({
        requestId: randomUUID(),
        entry: 'modal',
        text: parsed.text,
        caller: { slackUserId: body.user.id, accessVersion: accessVersionOf(context) },
        channel: parsed.metadata.channel,
        responder,
        holdAck: true,
        ack: async (message) => {
          const errors = acked ? undefined : formErrors(message, view);
          if (errors) {
            acked = true;
            clearTimeout(timer);
            const answer: ViewResponseAction = { response_action: 'errors', errors };
            await ack(answer);
            return;
          }
          await close();
          if (message) await responder.send(message);
        },
      });
    } finally {
      await close();
    }
  });
}
