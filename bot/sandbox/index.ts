import { join } from 'node:path';
import { resolveConfigRelative } from '../../core/config/relativePath.ts';
import { type Env, readSecret } from '../../core/config/secrets.ts';
import type { LoadedConfig } from '../config/loadConfig.ts';
import type { Config } from '../config/schema.ts';
import { argoSandboxPart } from './argoSandbox.ts';
import { datasetsSandboxPart } from './datasetsSandboxPart.ts';
import { githubTeamsPart, googleDirectoryPart } from './directoryParts.ts';
import { jiraSandboxPart } from './jiraSandbox.ts';
import { kubernetesSandbox } from './kubernetesSandbox.ts';
import { argoCdSandboxPart, githubSandboxPart } from './release.ts';
import type { RunningPart, SandboxContext, SandboxPart } from './sandboxPart.ts';

/** Every simulated system; each capability adds its own. */
export const sandboxParts: SandboxPart[] = [
  kubernetesSandbox,
  datasetsSandboxPart,
  googleDirectoryPart,
  githubTeamsPart,
  githubSandboxPart,
  argoCdSandboxPart,
  argoSandboxPart,
  jiraSandboxPart,
];

export interface RunningSandbox {
  config: Config;
  env: Record<string, string>;
  names: string[];
  stop(): Promise<void>;
}

/**
 * Where the simulators keep their state: beside the embedded database (`database.dataDir`), whose
 * records of scales and runs describe it, so both survive a restart together. With DATABASE_URL
 * the records live elsewhere, and the simulators start from their demo data every time.
 */
export function sandboxStateDir(loaded: LoadedConfig, env: Env): string | undefined {
  if (readSecret(env, 'DATABASE_URL')) return undefined;
  return join(resolveConfigRelative(loaded, loaded.config.database.dataDir), 'sandbox');
}

/**
 * Starts the simulators on 127.0.0.1 and returns a copy of the configuration pointing every
 * integration at them: dpbot then works end to end on this machine with no external system.
 */
export async function startSandbox(
  config: Config,
  parts: readonly SandboxPart[] = sandboxParts,
  context: SandboxContext = {},
): Promise<RunningSandbox> {
  const sandboxed = structuredClone(config);
  const running: RunningPart[] = [];
  const env: Record<string, string> = {};
  try {
    for (const part of parts) {
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
    names: parts.map((p) => p.name),
    stop: async () => {
      await Promise.allSettled(running.map((r) => r.stop()));
    },
  };
}
