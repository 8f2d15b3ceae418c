import { randomUUID } from 'node:crypto';
import type { App } from '@slack/bolt';
import { COMMAND_MODAL, modalSubmissionToText } from '../../../pipeline/views/modal.ts';
import { accessVersionOf } from '../accessVersion.ts';
import type { SlackDeps } from '../slackDeps.ts';
import { SlackResponder } from '../slackResponder.ts';

/** A submitted command form becomes command text and runs through the pipeline like a typed command. */
export function registerViews(app: App, deps: SlackDeps): void {
  app.view(COMMAND_MODAL, async ({ ack, body, view, client, context }) => {
    await ack();
    let parsed: ReturnType<typeof modalSubmissionToText>;
    const responderFor = (channel: string | null) =>
      new SlackResponder({ notifier: deps.notifier, client, channel, userId: body.user.id, log: deps.log });
    try {
      parsed = modalSubmissionToText(view);
    } catch (error) {
      deps.log.warn({ err: error }, 'a submitted form could not be read');
      await responderFor(null).send({ text: 'dpbot could not read that form; run the command again.' });
      return;
    }
    await deps.pipeline.handleText({
      requestId: randomUUID(),
      entry: 'modal',
      text: parsed.text,
      caller: { slackUserId: body.user.id, accessVersion: accessVersionOf(context) },
      channel: parsed.metadata.channel,
      responder: responderFor(parsed.metadata.channel),
    });
  });
}
