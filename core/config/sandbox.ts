import { z } from 'zod';

/** The external systems the sandbox can stand in for, each on its own. */
export const SANDBOX_SYSTEMS = [
  'kubernetes',
  'argo',
  'argocd',
  'github',
  'jira',
  'catalog',
  'directory',
] as const;
export type SandboxSystem = (typeof SANDBOX_SYSTEMS)[number];

/** Which systems are simulated (true) and which are real (false). */
export type SandboxSelection = Readonly<Record<SandboxSystem, boolean>>;

/** How the systems are named in log lines, help and messages. */
export const SYSTEM_NAMES: Readonly<Record<SandboxSystem, string>> = {
  kubernetes: 'Kubernetes',
  argo: 'Argo Workflows',
  argocd: 'Argo CD',
  github: 'GitHub',
  jira: 'Jira',
  catalog: 'dataset catalog',
  directory: 'directory (Google Workspace, GitHub teams)',
};

const every = (simulated: boolean): SandboxSelection =>
  Object.fromEntries(SANDBOX_SYSTEMS.map((s) => [s, simulated])) as Record<SandboxSystem, boolean>;

/**
 * `sandbox: true` (everything simulated), `false` (nothing), or one key per system:
 * `{ github: false }` is a real GitHub with everything else simulated. A key left out of the
 * object form is simulated: simulated is the side on which nothing real can change.
 */
export const sandboxSchema = z
  .union(
    [
      z.boolean(),
      z.strictObject(
        Object.fromEntries(SANDBOX_SYSTEMS.map((s) => [s, z.boolean().optional()])) as Record<
          SandboxSystem,
          z.ZodOptional<z.ZodBoolean>
        >,
      ),
    ],
    {
      error: `expected true, false, or an object of ${SANDBOX_SYSTEMS.join(', ')} set to true (simulated) or false (real)`,
    },
  )
  .default(false)
  .transform((value): SandboxSelection => {
    if (typeof value === 'boolean') return every(value);
    const selection: Record<SandboxSystem, boolean> = { ...every(true) };
    for (const system of SANDBOX_SYSTEMS) selection[system] = value[system] ?? true;
    return selection;
  });

export const simulatedSystems = (selection: SandboxSelection): SandboxSystem[] =>
  SANDBOX_SYSTEMS.filter((s) => selection[s]);

export const realSystems = (selection: SandboxSelection): SandboxSystem[] =>
  SANDBOX_SYSTEMS.filter((s) => !selection[s]);

/** Whether any system is simulated (the sandbox's simulators start). */
export const anySimulated = (selection: SandboxSelection): boolean => simulatedSystems(selection).length > 0;

/**
 * What the first log line and `help` say while any system is simulated, so nobody mistakes a
 * simulated change for a real one, nor a real one for a simulated one. Undefined when nothing is.
 */
export function sandboxNote(selection: SandboxSelection): string | undefined {
  const simulated = simulatedSystems(selection).map((s) => SYSTEM_NAMES[s]);
  if (simulated.length === 0) return undefined;
  const real = realSystems(selection).map((s) => SYSTEM_NAMES[s]);
  const head = `sandbox: changes go to simulated systems (${simulated.join(', ')} on 127.0.0.1)`;
  return real.length === 0 ? `${head}, not to real ones` : `${head}; real: ${real.join(', ')}`;
}
