import { registerHooks } from 'node:module';

/**
 * Loaded with `node --import` into a spawned dpbot: writes a log-shaped line to stderr for every
 * OpenTelemetry module the process resolves (by `import` or `require`), once each, so a test can
 * tell whether tracing loaded anything.
 */
const seen = new Set<string>();
registerHooks({
  resolve(specifier, context, nextResolve) {
    const resolved = nextResolve(specifier, context);
    if (resolved.url.includes('/@opentelemetry/') && !seen.has(resolved.url)) {
      seen.add(resolved.url);
      process.stderr.write(
        `${JSON.stringify({ msg: 'module resolved', url: resolved.url, from: context.parentURL })}\n`,
      );
    }
    return resolved;
  },
});
