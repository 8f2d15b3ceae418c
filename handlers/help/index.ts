import { defineCapability } from '../../pipeline/capability.ts';
import { help } from './commands/help.ts';
import type { HelpDeps } from './deps.ts';

/** `help`, generated from the registry: only what the caller may run. */
export const helpCapability = defineCapability<HelpDeps>({ name: 'help', commands: [help] });

// What the composition root (app/) needs beside the capability: the face is all it may import.
export type { HelpDeps } from './deps.ts';
