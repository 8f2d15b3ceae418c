import { defineCapability } from '../../pipeline/capability.ts';
import { changes } from './commands/changes.ts';
import type { ChangesDeps } from './deps.ts';

/** What changed on a team or service: `changes`, one timeline from dpbot's record and the systems it reads. */
export const changesCapability = defineCapability<ChangesDeps>({ name: 'changes', commands: [changes] });

// What the composition root (app/) needs beside the capability: the face is all it may import.
export type { ChangesDeps } from './deps.ts';
