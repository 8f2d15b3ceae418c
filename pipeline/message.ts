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

/**
 * Blocks from slack-block-builder. Its DTO types are looser than @slack/types' KnownBlock, though
 * the objects it builds are exactly Block Kit JSON; this is the one place the two meet.
 */
export function blocks(...builders: (BlockBuilder | undefined | false)[]): KnownBlock[] {
  const present = builders.filter((b): b is BlockBuilder => Boolean(b));
  return uniqueActionIds(BlockCollection(...present) as unknown as KnownBlock[]);
}

/** Separates a repeated action id from the number that keeps it unique in its block. */
const ACTION_ID_SUFFIX = ':';

/**
 * Slack refuses a message (`invalid_blocks`) whose actions block has two elements with one
 * action_id, and dpbot's buttons share theirs by kind (`dp.run` runs its value). The second and
 * later get `dp.run:1`, `dp.run:2`; `actionKind` reads the kind back.
 */
function uniqueActionIds(list: KnownBlock[]): KnownBlock[] {
  return list.map((block) => {
    if (block.type !== 'actions') return block;
    const seen = new Set<string>();
    const elements = block.elements.map((element, i) => {
      const id = 'action_id' in element ? element.action_id : undefined;
      if (id === undefined) return element;
      const unique = seen.has(id) ? `${id}${ACTION_ID_SUFFIX}${i}` : id;
      seen.add(unique);
      // The builder's objects are frozen: a renamed element is a copy.
      return unique === id ? element : { ...element, action_id: unique };
    });
    return { ...block, elements };
  });
}

/** The kind of a clicked element (`dp.run`), without the number `blocks` may have added. */
export function actionKind(actionId: string): string {
  const at = actionId.lastIndexOf(ACTION_ID_SUFFIX);
  return at > 0 && /^\d+$/.test(actionId.slice(at + 1)) ? actionId.slice(0, at) : actionId;
}
