import { randomUUID } from 'node:crypto';
import type { App, Middleware, SlackCommandMiddlewareArgs } from '@slack/bolt';
import type { Metrics } from '../../../core/metrics.ts';
import type { Notifier } from '../../../pipeline/notifier.ts';
import { accessVersionOf } from '../accessVersion.ts';
import { withDeadline } from '../deadline.ts';
import { arrivedAt } from '../ingress.ts';
import { openModal } from '../openModal.ts';
import type { SlackDeps } from '../slackDeps.ts';
import { decodeSlackText, SlackResponder } from '../slackResponder.ts';
import { toResponse } from '../toResponse.ts';

/** What a slash command's listener uses. */
export type CommandListenerDeps = Pick<SlackDeps, 'pipeline' | 'ackDeadlineMs' | 'log'> & {
  notifier: Notifier;
  metrics: Pick<Metrics, 'acknowledged'>;
};

/** `/dp <text>`: every slash command goes into the pipeline. */
export function registerCommand(app: App, deps: SlackDeps): void {
  app.command(deps.command, commandListener(deps));
}

/** The listener of a slash command: its text into the pipeline, its answer as the acknowledgement. */
export function commandListener(deps: CommandListenerDeps): Middleware<SlackCommandMiddlewareArgs> {
  return async ({ command, ack, respond, client, context }) => {
    const received = arrivedAt(context);
    const requestId = randomUUID();
    const log = deps.log.child({
      requestId,
      user: command.user_id,
      command: command.text.trim().split(/\s+/)[0] || 'help',
    });
    const responder = new SlackResponder({
      notifier: deps.notifier,
      client,
      channel: command.channel_id,
      userId: command.user_id,
      respond,
      ownReplies: true,
      log,
    });
    const deadline = withDeadline(
      async (message) => {
        await ack(message ? toResponse(message) : undefined);
        deps.metrics.acknowledged('slash_command', (performance.now() - received) / 1000);
      },
      (message) => responder.send(message),
      // Slack's clock started when the request arrived, not when Bolt handed it over.
      Math.max(0, deps.ackDeadlineMs - (performance.now() - received)),
    );
    try {
      await deps.pipeline.handleText({
        requestId,
        entry: 'slack',
        text: decodeSlackText(command.text),
        caller: { slackUserId: command.user_id, accessVersion: accessVersionOf(context) },
        channel: command.channel_id,
        responder,
        ack: deadline.ack,
        openModal: (view) => openModal(client, command.trigger_id, view, log),
      });
    } finally {
      deadline.cancel();
    }
  };
}
