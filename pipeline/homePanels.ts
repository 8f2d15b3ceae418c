import type { Caller } from './defineCommand.ts';
import type { BlockBuilder } from './views/blocks.ts';

/**
 * A capability's panel on the App Home (the current release, worker counts): blocks for this
 * caller, or none. Panels must be quick; a failing panel is left out, not fatal.
 */
export type HomePanel<D = unknown> = (ctx: { caller: Caller; deps: D }) => Promise<BlockBuilder[]>;
