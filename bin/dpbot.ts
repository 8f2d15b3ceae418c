#!/usr/bin/env node
import { enableCompileCache } from 'node:module';

// Compiled code of the modules a start loads (well over a thousand) is kept on disk and reused by
// the next start, which then loads them in about two thirds of the time. Enabled before they are
// imported, so the imports below are dynamic; where the cache folder cannot be written, Node
// simply compiles as usual.
enableCompileCache();
const { main } = await import('../app/cli/index.ts');

process.exitCode = await main(process.argv.slice(2), {
  stdin: process.stdin,
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
  cwd: process.cwd(),
});
