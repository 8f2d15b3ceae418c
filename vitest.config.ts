import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/support/globalSetup.ts'],
    // Every payload the Slack simulator receives is held to Slack's documented Block Kit limits, and
    // every exchange of every simulator to its system's published specification.
    setupFiles: ['test/support/slackLimits.ts', 'test/support/contractExchanges.ts'],
    // Each file gets its own database cloned from a migrated template; 2 cores, so 2 workers.
    maxWorkers: 2,
    testTimeout: 30_000,
    hookTimeout: 60_000,
    teardownTimeout: 30_000,
  },
});
