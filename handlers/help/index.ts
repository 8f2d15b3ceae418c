import { defineCapability } from '../../pipeline/capability.ts';
import { help } from './commands/help.ts';
import type { HelpDeps } from './deps.ts';

/** `help`, generated from the registry: only what the caller may run. */
export const helpCapability = defineCapability<HelpDeps>({ name: 'help', commands: [help] });
