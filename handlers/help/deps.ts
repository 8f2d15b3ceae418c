import { commandsWith } from '../../pipeline/defineCommand.ts';
import type { CommandRegistry } from '../../pipeline/registry.ts';

/** What the help capability needs: the commands there are, to list and explain them. */
export interface HelpDeps {
  registry: Pick<CommandRegistry, 'all' | 'resolve' | 'group'>;
  /** While any system behind dpbot is simulated: which are and which are real (help says so first). */
  sandboxNote: string | undefined;
}

/** Commands of this capability, written against HelpDeps. */
export const defineCommand = commandsWith<HelpDeps>();
