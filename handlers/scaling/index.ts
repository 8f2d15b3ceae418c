import { defineCapability } from '../../pipeline/capability.ts';
import { scale } from './commands/scale.ts';
import { workers } from './commands/workers.ts';
import type { ScalingDeps } from './deps.ts';
import { workersHomePanel } from './homePanel.ts';
import { scalingJobs } from './jobs.ts';

/** Worker scaling: `scale`, `workers`, timed reverts, readiness watchers, the App Home counts. */
export const scalingCapability = defineCapability<ScalingDeps>({
  name: 'scaling',
  commands: [scale, workers],
  jobs: [scalingJobs],
  homePanels: [workersHomePanel],
});
