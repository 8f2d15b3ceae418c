import type { Command } from '../bot/pipeline/defineCommand.ts';
import { audit } from './audit.ts';
import { help } from './help.ts';
import { whoami } from './whoami.ts';
import { whoCan } from './whoCan.ts';

/** Every command, in the order help lists groups; adding a capability means adding it here. */
export const allCommands: readonly Command[] = [help, whoami, whoCan, audit];
