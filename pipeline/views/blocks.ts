import type { KnownBlock } from '@slack/types';
import { type BlockBuilder, BlockCollection } from 'slack-block-builder';

/** A block as the builder makes it; App Home panels hand these over before the surface builds the tab. */
export type { BlockBuilder };

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
