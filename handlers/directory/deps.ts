import type { Services } from '../../bot/services.ts';
import { commandsWith } from '../../pipeline/defineCommand.ts';

/** What the directory capability needs; bot/app.ts builds it and binds it (see defineCapability). */
export type DirectoryDeps = Services;

/** Commands of this capability, written against DirectoryDeps. */
export const defineCommand = commandsWith<DirectoryDeps>();
