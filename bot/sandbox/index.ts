import type { Config } from '../config/schema.ts';
import { argoSandboxPart } from './argoSandbox.ts';
import { datasetsSandboxPart } from './datasetsSandboxPart.ts';
import { githubTeamsPart, googleDirectoryPart } from './directoryParts.ts';
import { jiraSandboxPart } from './jiraSandbox.ts';
import { kubernetesSandbox } from './kubernetesSandbox.ts';
import { argoCdSandboxPart, githubSandboxPart } from './release.ts';
import type { RunningPart, SandboxPart } from './sandboxPart.ts';

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
 * Starts the simulators on 127.0.0.1 and returns a copy of the configuration pointing every
 * integration at them: dpbot then works end to end on this machine with no external system.
 */
export async function startSandbox(
  config: Config,
  parts: readonly SandboxPart[] = sandboxParts,
): Promise<RunningSandbox> {
  const sandboxed = structuredClone(config);
  const running: RunningPart[] = [];
  const env: Record<string, string> = {};
  try {
    for (const part of parts) {
      const started = await part.start();
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
