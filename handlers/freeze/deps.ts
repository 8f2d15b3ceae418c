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
  /**
   * Called once a freeze is set or lifted, so that what shows freezes (the release message) says
   * so now rather than at its next update; app/app.ts points it at the release.
   */
  changed?: (() => Promise<void>) | undefined;
  log: Logger;
  now: () => Date;
}

/** Commands of this capability, written against FreezeDeps. */
export const defineCommand = commandsWith<FreezeDeps>();
