import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { projectRoot } from '../../core/paths.ts';

/**
 * The suite's set-up (test/support/contractExchanges.ts) fails the test whose exchange breaks a
 * published specification, naming the exchange and the problem, and passes the others: shown on a
 * fixture run by vitest in a process of its own.
 */
function runFixture(): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [
        join(projectRoot(), 'node_modules', 'vitest', 'vitest.mjs'),
        'run',
        '--config',
        'test/contract/fixtures/vitest.fixture.config.ts',
        '--reporter=verbose',
        '--no-color',
      ],
      { cwd: projectRoot(), env: { PATH: process.env.PATH, HOME: process.env.HOME, NO_COLOR: '1' } },
    );
    let output = '';
    child.stdout.on('data', (d: Buffer) => {
      output += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      output += d.toString();
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, output }));
  });
}

it('fails the test that caused a violation, naming the exchange and the problem, and passes the rest', async () => {
  const { code, output } = await runFixture();
  expect(code, output).toBe(1);
  expect(output).toMatch(/× .*> reads an application whose answer breaks the document/);
  expect(output).toMatch(/✓ .*> reads a catalog, which no checker judges/);
  expect(output).toMatch(
    /\[Argo CD\] GET \/api\/v1\/applications\/orders \(\/api\/v1\/applications\/\{name\}\): response 200\/spec: must be object/,
  );
  expect(output).toMatch(/Tests\s+1 failed \| 1 passed/);
}, 120_000);
