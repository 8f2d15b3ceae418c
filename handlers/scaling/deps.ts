import type { Services } from '../../bot/services.ts';
import { commandsWith } from '../../pipeline/defineCommand.ts';

/** What the scaling capability needs; bot/app.ts builds it and binds it (see defineCapability). */
export type ScalingDeps = Services;

/** Commands of this capability, written against ScalingDeps. */
export const defineCommand = commandsWith<ScalingDeps>();
