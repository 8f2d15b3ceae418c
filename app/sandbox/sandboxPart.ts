import type { SandboxSelection, SandboxSystem } from '../../core/config/sandbox.ts';
import type { Config } from '../config/schema.ts';

export interface RunningPart {
  /** Points the configuration's integration at this simulator (base URLs, cluster servers). */
  configure(config: Config): void;
  /** Secrets the integration expects (tokens the simulator accepts). */
  env?: Record<string, string>;
  stop(): Promise<void>;
}

/** What every part is started with. */
export interface SandboxContext {
  /** Which systems are simulated: a part whose demo data ties into another system's asks here. */
  simulated: SandboxSelection;
  /** One moment for every part, so generated demo data agrees across them. */
  now: Date;
  /** Where a simulator may keep its state across restarts (beside the embedded database); unset: start from the demo data. */
  stateDir?: string | undefined;
}

/** One simulated external system, started with realistic demo data. */
export interface SandboxPart {
  name: string;
  /** The system it stands in for; it starts only while that system is simulated. */
  system: SandboxSystem;
  start(context: SandboxContext): Promise<RunningPart>;
}
