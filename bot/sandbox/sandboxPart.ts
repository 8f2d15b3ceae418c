import type { Config } from '../config/schema.ts';

export interface RunningPart {
  /** Points the configuration's integration at this simulator (base URLs, cluster servers). */
  configure(config: Config): void;
  /** Secrets the integration expects (tokens the simulator accepts). */
  env?: Record<string, string>;
  stop(): Promise<void>;
}

/** One simulated external system, started with realistic demo data. */
export interface SandboxPart {
  name: string;
  start(): Promise<RunningPart>;
}
