import type { Config } from '../config/schema.ts';

export interface RunningPart {
  /** Points the configuration's integration at this simulator (base URLs, cluster servers). */
  configure(config: Config): void;
  /** Secrets the integration expects (tokens the simulator accepts). */
  env?: Record<string, string>;
  stop(): Promise<void>;
}

/** Where a simulator may keep its state across restarts. */
export interface SandboxContext {
  /** A folder beside dpbot's own records (the embedded database); unset: start from the demo data. */
  stateDir?: string | undefined;
}

/** One simulated external system, started with realistic demo data. */
export interface SandboxPart {
  name: string;
  start(context: SandboxContext): Promise<RunningPart>;
}
