import type { Message } from '../../pipeline/message.ts';
import { slackPayload } from './broadcasts.ts';

/** A message as the body of an acknowledgement or a response_url post. */
export function toResponse(message: Message) {
  return {
    response_type: message.visibility === 'in_channel' ? ('in_channel' as const) : ('ephemeral' as const),
    ...slackPayload(message),
  };
}
