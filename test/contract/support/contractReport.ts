import { randomUUID } from 'node:crypto';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { addTally, type ContractTally, emptyTally } from './exchangeJudge.ts';

/** Leaves a test file's counts in the run's folder (each test file runs in a worker of its own). */
export function writeTally(folder: string, tally: ContractTally): void {
  writeFileSync(join(folder, `${randomUUID()}.json`), JSON.stringify(tally));
}

/** Every test file's counts, added up. */
export function readTallies(folder: string): ContractTally {
  const total = emptyTally();
  for (const file of readdirSync(folder).filter((f) => f.endsWith('.json')))
    addTally(total, JSON.parse(readFileSync(join(folder, file), 'utf8')) as ContractTally);
  return total;
}

/** The contract report: per system, what was judged and what failed. */
export function formatReport(tally: ContractTally): string {
  const rows = Object.entries(tally.systems)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([system, c]) => [
      system,
      String(c.exchanges),
      String(c.requestsFailed),
      String(c.answersFailed),
      c.failed > 0 ? String(c.failed) : '',
      String(c.injected),
    ]);
  const header = ['system', 'exchanges', 'requests failed', 'answers failed', 'failed', 'injected faults'];
  const table = [header, ...rows];
  const widths = header.map((_, i) => Math.max(...table.map((row) => (row[i] ?? '').length)));
  const line = (row: string[]) =>
    row.map((cell, i) => (i === 0 ? cell.padEnd(widths[i] ?? 0) : cell.padStart(widths[i] ?? 0))).join('  ');
  const unjudged = Object.entries(tally.unjudged)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([simulator, n]) => `${simulator} ${n}`)
    .join(', ');
  return [
    'Contract report: every exchange the simulators recorded, held to the published specifications (test/contract/checkers)',
    ...table.map(line),
    '(failed: a checker that does not tell requests from answers; injected faults: answers a test injected, not judged, their requests judged)',
    `Not judged (no published specification): ${unjudged || 'none'}`,
    `Judging took ${(tally.judgeMs / 1000).toFixed(1)} s in all test workers together, reading and compiling the documents included`,
  ].join('\n');
}
