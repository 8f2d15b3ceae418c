/**
 * `npm run test:loaded [-- <vitest args>]`: runs the suite (or the files named) with the machine's
 * cores kept busy twice over by busy loops at normal priority, as a shared CI runner or a laptop
 * in a call is. The suite is meant to pass like this: its waits are on events, its timeouts caps.
 */
import { spawn } from 'node:child_process';
import { availableParallelism } from 'node:os';

const LOAD_FACTOR = Number(process.env.DPBOT_LOAD_FACTOR ?? 2);
const burners = Array.from({ length: availableParallelism() * LOAD_FACTOR }, () =>
  spawn(process.execPath, ['-e', 'for (;;) {}'], { stdio: 'ignore' }),
);
const stopLoad = () => {
  for (const b of burners) b.kill('SIGKILL');
};
process.on('SIGINT', () => {
  stopLoad();
  process.exit(130);
});
process.stdout.write(`test:loaded: ${burners.length} busy loops on ${availableParallelism()} cores\n`);
const started = performance.now();
const vitest = spawn(process.execPath, ['node_modules/vitest/vitest.mjs', 'run', ...process.argv.slice(2)], {
  stdio: 'inherit',
});
vitest.on('exit', (code) => {
  stopLoad();
  process.stdout.write(
    `test:loaded: vitest exited ${code} after ${((performance.now() - started) / 1000).toFixed(0)} s under load\n`,
  );
  process.exit(code ?? 1);
});
