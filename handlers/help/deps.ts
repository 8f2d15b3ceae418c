import type { Services } from '../../bot/services.ts';
import { commandsWith } from '../../pipeline/defineCommand.ts';

/** What the help capability needs; bot/app.ts builds it and binds it (see defineCapability). */
export type HelpDeps = Services;

/** Commands of this capability, written against HelpDeps. */
export const defineCommand = commandsWith<HelpDeps>();
