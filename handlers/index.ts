import { auditCapability } from './audit/index.ts';
import { changesCapability } from './changes/index.ts';
import { datasetsCapability } from './datasets/index.ts';
import { directoryCapability } from './directory/index.ts';
import { freezeCapability } from './freeze/index.ts';
import { helpCapability } from './help/index.ts';
import { releaseCapability } from './release/index.ts';
import { scalingCapability } from './scaling/index.ts';
import { tasksCapability } from './tasks/index.ts';

/**
 * Every capability, in the order help lists their commands. Adding one means adding it here and
 * binding its dependencies in app/app.ts.
 */
export const capabilities = {
  help: helpCapability,
  directory: directoryCapability,
  audit: auditCapability,
  datasets: datasetsCapability,
  scaling: scalingCapability,
  release: releaseCapability,
  freeze: freezeCapability,
  tasks: tasksCapability,
  changes: changesCapability,
} as const;
