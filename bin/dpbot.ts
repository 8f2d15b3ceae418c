#!/usr/bin/env node
import { enableCompileCache, setSourceMapsSupport } from 'node:module';
import { tracingWanted } from '../core/tracing.ts';

// Compiled code of the modules a start loads (well over a thousand) is kept on disk and reused by
// the next start, which then loads them in about two thirds of the time. Enabled before they are
// imported, so the imports below are dynamic; where the cache folder cannot be written, Node
// simply compiles as usual.
enableCompileCache();
// Compiled (as the image runs it), stack traces point into dpbot's TypeScript. Libraries' own maps
// stay unread: @kubernetes/client-node ships one for each of its ~900 modules, and their line
// tables cost an idle process about 3 MiB for frames inside libraries. --enable-source-maps
// still maps everything; from the TypeScript sources there is nothing to map.
if (!process.sourceMapsEnabled && import.meta.url.endsWith('.js'))
  setSourceMapsSupport(true, { nodeModules: false });
// Traces only when the OTEL_* variables ask for them, and then started before anything they
// follow is imported (pg, http, the clients); otherwise no OpenTelemetry module is loaded.
const tracing = tracingWanted(process.env)
  ? await import('../core/otel.ts').then(({ startTracing }) => startTracing())
  : undefined;
const { main } = await import('../app/cli/index.ts');

process.exitCode = await main(process.argv.slice(2), {
  stdin: process.stdin,
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
  cwd: process.cwd(),
});
// The spans still buffered are sent before the process ends.
await tracing?.shutdown();
