import type { Services } from '../../bot/services.ts';
import { commandsWith } from '../../pipeline/defineCommand.ts';

/** What the datasets capability needs; bot/app.ts builds it and binds it (see defineCapability). */
export type DatasetsDeps = Services;

/** Commands of this capability, written against DatasetsDeps. */
export const defineCommand = commandsWith<DatasetsDeps>();
