import type { KnownBlock } from '@slack/types';

/**
 * What a command says back. `text` is the plain-text fallback (notifications, screen readers, the
 * console when there are no blocks); `blocks` is Block Kit. Ephemeral replies are seen by the
 * caller only; `in_channel` ones are announcements everybody in the channel sees.
 */
export interface Message {
  text: string;
  blocks?: KnownBlock[];
  visibility?: 'ephemeral' | 'in_channel';
  /**
   * For a refusal of bad input: the problem of each argument at fault, by argument name. A form
   * shows them under its inputs and stays open; every other surface shows `text` and `blocks`.
   */
  fieldErrors?: Readonly<Record<string, string>>;
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

// Built in pipeline/views/blocks.ts, the one pipeline module that holds the block builder; said
// here too because commands, surfaces and tests have always found them beside Message.
export { actionKind, blocks } from './views/blocks.ts';
