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

// What the composition root (app/) needs beside the capability: the face is all it may import.
export type { ScalingDeps } from './deps.ts';
// The composition root builds the store (it owns the database); it gets the class here, not from the file.
export { PgScaleStore, type ScaleStore } from './stores/scaleStore.ts';
