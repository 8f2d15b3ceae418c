import type { Services } from '../../bot/services.ts';
import { commandsWith } from '../../pipeline/defineCommand.ts';

/** What the release capability needs; bot/app.ts builds it and binds it (see defineCapability). */
export type ReleaseDeps = Services;

/** Commands of this capability, written against ReleaseDeps. */
export const defineCommand = commandsWith<ReleaseDeps>();
