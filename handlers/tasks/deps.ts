import type { Services } from '../../bot/services.ts';
import { commandsWith } from '../../pipeline/defineCommand.ts';

/** What the tasks capability needs; bot/app.ts builds it and binds it (see defineCapability). */
export type TasksDeps = Services;

/** Commands of this capability, written against TasksDeps. */
export const defineCommand = commandsWith<TasksDeps>();
