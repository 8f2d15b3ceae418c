import { configDefaults, defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    globalSetup: ['test/support/globalSetup.ts'],
    // Every payload the Slack simulator receives is held to Slack's documented Block Kit limits, and
    // every exchange of every simulator to its system's published specification.
    setupFiles: ['test/support/slackLimits.ts', 'test/support/contractExchanges.ts'],
    // Each file gets its own database cloned from a migrated template. Four workers on two cores:
    // most of a file's time is spent waiting (on a simulator's pace, a spawned dpbot, a job's
    // heartbeat), and with two workers the whole run used about half of one core (2026-12-07:
    // 298 s of CPU in 553 s); with four, 278 s of CPU in 309 s, the same 1,026 tests.
    maxWorkers: 4,
    // Caps, not waits: a passing test never reaches them. They are wide because a test that takes
    // 10 s on a quiet machine takes three times that on one whose cores are busy twice over.
    testTimeout: 90_000,
    hookTimeout: 120_000,
    teardownTimeout: 60_000,
    reporters: ['default', './test/support/slowestReporter.ts'],
    projects: [
      // The unit and integration tests share one module graph per worker instead of loading it
      // again for each file (test/unit: 36 s to 10 s; test/integration: 225 s to 160 s), with the
      // same results and contract report; each file brings its own database, simulators and app.
      // The end-to-end and reliability files, which start processes and sandboxes, keep a fresh one.
      {
        extends: true,
        test: {
          name: 'shared',
          include: ['test/unit/**/*.test.ts', 'test/integration/**/*.test.ts'],
          isolate: false,
        },
      },
      {
        extends: true,
        test: {
          name: 'suite',
          include: ['test/**/*.test.ts'],
          exclude: [...configDefaults.exclude, 'test/unit/**', 'test/integration/**'],
        },
      },
    ],
  },
});
