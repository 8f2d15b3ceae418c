import type { Reporter, TestModule } from 'vitest/node';

/** Files listed at the end of `npm test`: where the suite's time goes, to keep it short. */
const SHOWN = 10;

/**
 * Prints the run's wall time and its slowest test files (their tests and hooks, plus importing
 * them), so that a file that grows slow is seen in every run rather than found by a timeout.
 */
export default class SlowestReporter implements Reporter {
  #started = performance.now();

  onTestRunStart(): void {
    this.#started = performance.now();
  }

  onTestRunEnd(modules: ReadonlyArray<TestModule>): void {
    const rows = modules
      .map((m) => {
        const d = m.diagnostic();
        return { file: m.relativeModuleId, ms: d.duration + d.collectDuration + d.setupDuration };
      })
      .sort((a, b) => b.ms - a.ms);
    const total = rows.reduce((sum, r) => sum + r.ms, 0);
    const wall = (performance.now() - this.#started) / 1000;
    const lines = rows.slice(0, SHOWN).map((r) => `${(r.ms / 1000).toFixed(1).padStart(7)} s  ${r.file}`);
    process.stdout.write(
      `\nSlowest ${Math.min(SHOWN, rows.length)} of ${rows.length} test files (tests, hooks and imports; ${(total / 1000).toFixed(0)} s in all files together, ${wall.toFixed(0)} s wall time):\n${lines.join('\n')}\n`,
    );
  }
}
