import { commandsWith } from '../../pipeline/defineCommand.ts';
import type { CommandRegistry } from '../../pipeline/registry.ts';

/** What the help capability needs: the commands there are, to list and explain them. */
export interface HelpDeps {
  registry: Pick<CommandRegistry, 'all' | 'resolve'>;
  /** Whether the systems behind dpbot are the sandbox's simulators (help says so first). */
  sandbox: boolean;
}

/** Commands of this capability, written against HelpDeps. */
export const defineCommand = commandsWith<HelpDeps>();
