import type { ModalView } from '@slack/types';
import type { WebClient } from '@slack/web-api';
import type { Logger } from 'pino';
import { isSlackError, slackError } from '../../integrations/slack/slackErrors.ts';

/**
 * Opens a modal with a request's trigger_id. A trigger is good once and for 3 seconds
 * (https://docs.slack.dev/reference/methods/views.open: `expired_trigger_id`,
 * `exchanged_trigger_id`, `invalid_trigger_id`); when Slack no longer takes it, this says so
 * (false) and the command answers in text — what to type instead — rather than failing.
 */
export async function openModal(
  client: WebClient,
  triggerId: string,
  view: ModalView,
  log: Logger,
): Promise<boolean> {
  try {
    await client.views.open({ trigger_id: triggerId, view });
    return true;
  } catch (error) {
    if (!isSlackError(error, 'expired_trigger_id', 'exchanged_trigger_id', 'invalid_trigger_id')) throw error;
    log.warn(
      { reason: slackError(error) },
      'Slack would not open the form (trigger spent); answering in text',
    );
    return false;
  }
}
