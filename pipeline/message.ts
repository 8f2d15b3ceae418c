import type { KnownBlock } from '@slack/types';
import type { BlockBuilder } from 'slack-block-builder';
import { BlockCollection } from 'slack-block-builder';

/**
 * What a command says back. `text` is the plain-text fallback (notifications, screen readers, the
 * console when there are no blocks); `blocks` is Block Kit. Ephemeral replies are seen by the
 * caller only; `in_channel` ones are announcements everybody in the channel sees.
 */
export interface Message {
  text: string;
  blocks?: KnownBlock[];
  visibility?: 'ephemeral' | 'in_channel';
}

export interface MessageHandle {
  update(message: Message): Promise<void>;
  /** Slack's coordinates of the posted message, when there are any. */
  readonly ref?: { channel: string; ts: string } | undefined;
}

/** Delivers messages for one request: Slack (respond / chat.postMessage) or the console. */
export interface Responder {
  send(message: Message): Promise<MessageHandle>;
}

/**
 * Blocks from slack-block-builder. Its DTO types are looser than @slack/types' KnownBlock, though
 * the objects it builds are exactly Block Kit JSON; this is the one place the two meet.
 */
export function blocks(...builders: (BlockBuilder | undefined | false)[]): KnownBlock[] {
  const present = builders.filter((b): b is BlockBuilder => Boolean(b));
  return BlockCollection(...present) as unknown as KnownBlock[];
}
