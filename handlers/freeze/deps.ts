import type { Logger } from 'pino';
import { commandsWith } from '../../pipeline/defineCommand.ts';
import type { FreezesConfig } from './config.ts';
import type { FreezeStore } from './stores/freezeStore.ts';

/** What the freeze capability needs; app/wiring/freeze.ts picks it from what app/app.ts built. */
export interface FreezeDeps {
  config: {
    freezes: FreezesConfig;
    /** The services dpbot deploys (release.services), the names a freeze may take. */
    services: readonly string[];
  };
  freezes: FreezeStore;
  log: Logger;
  now: () => Date;
}

/** Commands of this capability, written against FreezeDeps. */
export const defineCommand = commandsWith<FreezeDeps>();
