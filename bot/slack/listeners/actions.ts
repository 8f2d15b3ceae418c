import { createHash, randomUUID } from 'node:crypto';
import type { App, BlockAction } from '@slack/bolt';
import type { ModalView } from '@slack/types';
import { actionKind, type MessageHandle } from '../../../pipeline/message.ts';
import { accessVersionOf } from '../accessVersion.ts';
import { arrivedAt } from '../ingress.ts';
import { openModal } from '../openModal.ts';
import type { SlackDeps } from '../slackDeps.ts';
import { SlackResponder } from '../slackResponder.ts';

type Element = BlockAction['actions'][number];

function actionValue(action: Element): string | undefined {
  if ('value' in action && typeof action.value === 'string') return action.value;
  if ('selected_option' in action && action.selected_option) return action.selected_option.value;
  return undefined;
}

/** The message a button sat on: updated in place when the click settles it (Confirmed by …). */
function sourceOf(body: BlockAction, responder: SlackResponder, deps: SlackDeps): MessageHandle | undefined {
  const container = body.container as {
    type?: string;
    message_ts?: string;
    channel_id?: string;
    is_ephemeral?: boolean;
  };
  if (container.type !== 'message' || !container.message_ts || !container.channel_id) return undefined;
  if (container.is_ephemeral) return { update: (m) => responder.replaceOriginal(m) };
  const ref = { channel: container.channel_id, ts: container.message_ts };
  return {
    ref,
    update: async (m) => {
      await deps.notifier.update(ref, m);
    },
  };
}

/** Every dpbot button (`dp.*`) goes into the pipeline as the person who clicked. */
export function registerActions(app: App, deps: SlackDeps): void {
  app.action<BlockAction>(
    { type: 'block_actions', action_id: /^dp\./ },
    async ({ ack, body, action, respond, client, context }) => {
      const received = arrivedAt(context);
      // A click is acknowledged at once; what it does is answered through respond / the message.
      await ack();
      deps.metrics.acknowledged('button', (performance.now() - received) / 1000);
      const value = actionValue(action);
      const channel = body.channel?.id ?? (body.container as { channel_id?: string }).channel_id ?? null;
      const requestId = randomUUID();
      const log = deps.log.child({ requestId, user: body.user.id, command: action.action_id });
      const responder = new SlackResponder({
        notifier: deps.notifier,
        client,
        channel,
        userId: body.user.id,
        respond,
        log,
      });
      if (value === undefined) {
        await responder.send({
          text: 'This control carries no value dpbot understands.',
          visibility: 'ephemeral',
        });
        return;
      }
      const container = body.container as { message_ts?: string; view_id?: string };
      // Identifies this button on this message: the same button pressed twice has the same key.
      const buttonKey = createHash('sha256')
        .update(
          [channel, container.message_ts ?? container.view_id, action.block_id, action.action_id, value].join(
            '\u0000',
          ),
        )
        .digest('hex');
      const source = sourceOf(body, responder, deps);
      await deps.pipeline.handleAction({
        requestId,
        entry: 'button',
        actionId: actionKind(action.action_id),
        value,
        caller: { slackUserId: body.user.id, accessVersion: accessVersionOf(context) },
        channel,
        responder,
        buttonKey,
        ...(source ? { source } : {}),
        ...(body.trigger_id
          ? { openModal: (view: ModalView) => openModal(client, body.trigger_id, view, log) }
          : {}),
      });
    },
  );
}
