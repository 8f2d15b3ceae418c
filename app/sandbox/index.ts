import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { resolveConfigRelative } from '../../core/config/relativePath.ts';
import { sandboxNote } from '../../core/config/sandbox.ts';
import { type Env, readSecret } from '../../core/config/secrets.ts';
import type { LoadedConfig } from '../config/loadConfig.ts';
import type { Config } from '../config/schema.ts';
import { argoSandboxPart } from './argoSandbox.ts';
import { datasetCatalogPart, datasetProducersPart } from './datasetsSandboxPart.ts';
import { githubTeamsPart, googleDirectoryPart } from './directoryParts.ts';
import { jiraSandboxPart } from './jiraSandbox.ts';
import { kubernetesSandbox } from './kubernetesSandbox.ts';
import { argoCdSandboxPart, githubSandboxPart } from './release.ts';
import type { RunningPart, SandboxContext, SandboxPart } from './sandboxPart.ts';

/** Every simulated system; each capability adds its own. Each starts only while its system is simulated. */
export const sandboxParts: SandboxPart[] = [
  kubernetesSandbox,
  datasetCatalogPart,
  datasetProducersPart,
  googleDirectoryPart,
  githubTeamsPart,
  githubSandboxPart,
  argoCdSandboxPart,
  argoSandboxPart,
  jiraSandboxPart,
];

export interface RunningSandbox {
  /** The configuration with every simulated system's integration pointed at its simulator. */
  config: Config;
  /** The simulators' secrets (tokens they accept). */
  env: Record<string, string>;
  /** The parts that were started. */
  names: string[];
  /** What the first log line and help say: which systems are simulated, which are real (undefined: none is simulated). */
  note: string | undefined;
  /**
   * The environment to run with: the simulators' tokens win over the process's for the systems
   * they stand in for (a real GITHUB_TOKEN in the shell must not reach a simulated GitHub); a
   * real system's variables are left alone, since no part of it was started.
   */
  envFor(env: Env): Env;
  stop(): Promise<void>;
}

/**
 * Where the simulators keep their state across restarts, under the data folder: beside the
 * embedded database, whose records of scales and runs describe it; with DATABASE_URL, in a folder
 * of that database's own (named by a hash of the URL), so the state found after a restart is the
 * one that database's records describe, and another database starts from the demo data.
 */
export function sandboxStateDir(loaded: LoadedConfig, env: Env): string {
  const base = join(resolveConfigRelative(loaded, loaded.config.database.dataDir), 'sandbox');
  const url = readSecret(env, 'DATABASE_URL');
  return url ? join(base, createHash('sha256').update(url).digest('hex').slice(0, 16)) : base;
}

/**
 * Starts the simulators of the systems `config.sandbox` marks simulated, on 127.0.0.1, and returns
 * a copy of the configuration pointing those integrations at them; the real systems keep what the
 * configuration says. With no system simulated, nothing starts and the configuration is kept.
 */
export async function startSandbox(
  config: Config,
  parts: readonly SandboxPart[] = sandboxParts,
  options: Pick<SandboxContext, 'stateDir'> = {},
): Promise<RunningSandbox> {
  const simulated = config.sandbox;
  const chosen = parts.filter((p) => simulated[p.system]);
  const sandboxed = structuredClone(config);
  const running: RunningPart[] = [];
  const env: Record<string, string> = {};
  const context: SandboxContext = { simulated, now: new Date(), stateDir: options.stateDir };
  try {
    for (const part of chosen) {
      const started = await part.start(context);
      running.push(started);
      started.configure(sandboxed);
      Object.assign(env, started.env ?? {});
    }
  } catch (error) {
    await Promise.allSettled(running.map((r) => r.stop()));
    throw error;
  }
  return {
    config: sandboxed,
    env,
    names: chosen.map((p) => p.name),
    note: sandboxNote(simulated),
    envFor: (outer) => ({ ...outer, ...env }),
    stop: async () => {
      await Promise.allSettled(running.map((r) => r.stop()));
    },
  };
}
