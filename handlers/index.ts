import type { Command } from '../bot/pipeline/defineCommand.ts';
import type { OptionProvider } from '../bot/pipeline/options.ts';
import { expireConfirmations, type WorkerRegistration } from '../bot/workers.ts';
import { audit } from './audit.ts';
import { help } from './help.ts';
import { releaseCommands, releaseWorkers } from './release/index.ts';
import { whoami } from './whoami.ts';
import { whoCan } from './whoCan.ts';

/** Every command, in the order help lists groups; adding a capability means adding it here. */
export const allCommands: readonly Command[] = [help, whoami, whoCan, audit, ...releaseCommands];

/** Background workers of every capability, started by long-running processes. */
export const allWorkers: readonly WorkerRegistration[] = [expireConfirmations, releaseWorkers];

/** Suggestions for external selects in forms (dataset names, teams), by action id. */
export const allOptionProviders: readonly OptionProvider[] = [];
