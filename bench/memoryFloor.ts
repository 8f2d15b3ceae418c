import { execFileSync, spawn } from 'node:child_process';
import { join } from 'node:path';
import { projectRoot } from '../core/paths.ts';
import { DPBOT_NODE_FLAGS, residentMiB, stopProcess } from './slackLoad.ts';

/**
 * The resident memory of a Node process, run with dpbot's flags, that imports `libraries` and does
 * nothing else: collected once (so what it keeps is the libraries, not their loading's garbage)
 * and read after `settleMs`, as dpbot's idle figure is.
 */
export async function importedOnlyMiB(libraries: readonly string[], settleMs: number): Promise<number> {
  const code = [
    `for (const s of ${JSON.stringify(libraries)}) await import(s);`,
    'globalThis.gc();',
    "process.stdout.write('loaded\\n');",
    'setInterval(() => {}, 60_000);',
  ].join('\n');
  const child = spawn(process.execPath, [...DPBOT_NODE_FLAGS, '--input-type=module', '-e', code], {
    // Bare specifiers resolve from the project's node_modules.
    cwd: projectRoot(),
    env: { PATH: process.env.PATH, HOME: process.env.HOME },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  try {
    await new Promise<void>((resolve, reject) => {
      child.stdout.on('data', (chunk: Buffer) => {
        if (chunk.toString().includes('loaded')) resolve();
      });
      child.once('exit', (code) =>
        reject(new Error(`importing ${libraries.join(', ')} exited with ${code}`)),
      );
    });
    await new Promise((resolve) => setTimeout(resolve, settleMs));
    return residentMiB(child.pid);
  } finally {
    await stopProcess(child);
  }
}

/**
 * Compiles dpbot as the container image does (`npm run build`) and returns the entry point the
 * image runs, so its memory can be measured in that form as well as from the TypeScript sources.
 */
export function compiledEntry(): string {
  const root = projectRoot();
  execFileSync(
    process.execPath,
    [join(root, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json'],
    {
      cwd: root,
      stdio: 'inherit',
    },
  );
  return join(root, 'dist/bin/dpbot.js');
}
