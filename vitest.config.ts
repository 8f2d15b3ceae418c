import { configDefaults, defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    globalSetup: ['test/support/globalSetup.ts'],
    // Every payload the Slack simulator receives is held to Slack's documented Block Kit limits, and
    // every exchange of every simulator to its system's published specification.
    setupFiles: ['test/support/slackLimits.ts', 'test/support/contractExchanges.ts'],
    // Each file gets its own database cloned from a migrated template; 2 cores, so 2 workers.
    maxWorkers: 2,
    // Caps, not waits: a passing test never reaches them. They are wide because a test that takes
    // 10 s on a quiet machine takes three times that on one whose cores are busy twice over.
    testTimeout: 90_000,
    hookTimeout: 120_000,
    teardownTimeout: 60_000,
    reporters: ['default', './test/support/slowestReporter.ts'],
    projects: [
      // The unit tests share one module graph per worker instead of loading it again for each file
      // (a quarter of the time: 36 s to 10 s), with the same results and the same contract report;
      // they hold no state between files. Everything else keeps a fresh one per file.
      { extends: true, test: { name: 'unit', include: ['test/unit/**/*.test.ts'], isolate: false } },
      {
        extends: true,
        test: {
          name: 'suite',
          include: ['test/**/*.test.ts'],
          exclude: [...configDefaults.exclude, 'test/unit/**'],
        },
      },
    ],
  },
});
