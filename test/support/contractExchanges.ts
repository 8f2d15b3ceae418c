import { afterAll, afterEach, expect, inject } from 'vitest';
import { type SimExchange, Simulator } from '../../sandbox/http.ts';
import { contractCheckers } from '../contract/checkers/index.ts';
import { writeTally } from '../contract/support/contractReport.ts';
import { ExchangeJudge } from '../contract/support/exchangeJudge.ts';

// Every simulator any test starts hands each request and its answer to the contract checkers: one
// that breaks its system's published specification fails the test that caused it (or, when it came
// after the last test, the file). The counts go to the run's contract report.
const recorded: { simulator: string; exchange: SimExchange }[] = [];
Simulator.recorder = (simulator, exchange) => {
  recorded.push({ simulator, exchange });
};
const judge = new ExchangeJudge(contractCheckers);

/** The problems of the exchanges recorded since last asked, each once, at most 40 lines. */
function judgeRecorded(): string[] {
  const seen = new Map<string, number>();
  for (const { simulator, exchange } of recorded.splice(0))
    for (const problem of judge.judge(simulator, exchange)) seen.set(problem, (seen.get(problem) ?? 0) + 1);
  const lines = [...seen].map(([problem, n]) => (n > 1 ? `${problem} (${n} times)` : problem));
  return lines.length > 40 ? [...lines.slice(0, 40), `… and ${lines.length - 40} more`] : lines;
}

const WHAT = 'exchanges with the simulators that break their published specifications';

afterEach(() => {
  expect(judgeRecorded(), WHAT).toEqual([]);
});

afterAll(() => {
  const problems = judgeRecorded();
  // A test file run outside the suite's set-up (a fixture run by a test) has no report folder.
  const folder = inject('contractReportDir');
  if (folder) writeTally(folder, judge.tally);
  expect(problems, WHAT).toEqual([]);
});
