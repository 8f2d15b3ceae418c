import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { exampleConfigPath } from '../../app/config/loadConfig.ts';
import { projectRoot } from '../../core/paths.ts';

let dir: string | undefined;

/**
 * The data folder (DPBOT_DATA_DIR) of every dpbot this test file runs with the example
 * configuration. Without it they would all use the checkout's `.dpbot/`, which test files running
 * at the same time would share: one process owns the audit outbox there and the others say so.
 * Kept for the whole file, so that a restart within it finds what the run before it left.
 */
export function exampleDataDir(): string {
  if (!dir) {
    const made = mkdtempSync(join(tmpdir(), 'dpbot-example-data-'));
    dir = made;
    process.once('exit', () => rmSync(made, { recursive: true, force: true }));
  }
  return dir;
}

/**
 * DPBOT_DATA_DIR for a dpbot started with these arguments in `cwd`, when it would read the example
 * configuration: named with --config, or found because the checkout has no dpbot.yaml.
 */
export function exampleDataEnv(args: readonly string[], cwd: string): { DPBOT_DATA_DIR?: string } {
  const at = args.indexOf('--config');
  const config = at >= 0 ? args[at + 1] : undefined;
  const example = config
    ? resolve(cwd, config) === exampleConfigPath()
    : resolve(cwd) === resolve(projectRoot()) && !args.includes('init');
  return example ? { DPBOT_DATA_DIR: exampleDataDir() } : {};
}
