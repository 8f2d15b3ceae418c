import type { SimExchange } from '../../../sandbox/http.ts';
import type { ContractChecker } from './checker.ts';

/** What one system's checker saw. */
export interface SystemTally {
  /** Exchanges judged (an injected answer's exchange included: its request was judged). */
  exchanges: number;
  requestsFailed: number;
  answersFailed: number;
  /** Failed exchanges of a checker that does not tell requests from answers. */
  failed: number;
  /** Answers a test injected (`inject()`): not the service's, so not judged. */
  injected: number;
}

/** Counts of a test file (or, summed, of a run). */
export interface ContractTally {
  systems: Record<string, SystemTally>;
  /** Exchanges no checker judges, by simulator: systems (or parts) without a published description. */
  unjudged: Record<string, number>;
  /** Time spent judging, reading and compiling the documents included (ms). */
  judgeMs: number;
}

export const emptyTally = (): ContractTally => ({ systems: {}, unjudged: {}, judgeMs: 0 });

/** The counts of `system` in the tally, made on first use. */
function countsOf(tally: ContractTally, system: string): SystemTally {
  const counts = tally.systems[system] ?? {
    exchanges: 0,
    requestsFailed: 0,
    answersFailed: 0,
    failed: 0,
    injected: 0,
  };
  tally.systems[system] = counts;
  return counts;
}

/**
 * Hands each exchange to the checkers that accept it and keeps the counts. Its answer to one
 * exchange is every problem found, each line naming the system.
 */
export class ExchangeJudge {
  readonly tally: ContractTally = emptyTally();
  readonly #checkers: readonly ContractChecker[];

  constructor(checkers: readonly ContractChecker[]) {
    this.#checkers = checkers;
  }

  judge(simulator: string, exchange: SimExchange): string[] {
    const started = performance.now();
    try {
      const checkers = this.#checkers.filter((c) => c.accepts(simulator, exchange));
      if (checkers.length === 0) {
        this.tally.unjudged[simulator] = (this.tally.unjudged[simulator] ?? 0) + 1;
        return [];
      }
      return checkers.flatMap((checker) => this.#judgeBy(checker, exchange));
    } finally {
      this.tally.judgeMs += performance.now() - started;
    }
  }

  #judgeBy(checker: ContractChecker, exchange: SimExchange): string[] {
    const counts = countsOf(this.tally, checker.system);
    const label = (problems: string[]) =>
      problems.map((p) => `[${checker.system}]${exchange.injected ? ' (injected answer)' : ''} ${p}`);
    try {
      if (checker.checkRequest && checker.checkAnswer) {
        counts.exchanges++;
        const request = checker.checkRequest(exchange);
        let answer: string[] = [];
        if (exchange.injected) counts.injected++;
        else answer = checker.checkAnswer(exchange);
        if (request.length > 0) counts.requestsFailed++;
        if (answer.length > 0) counts.answersFailed++;
        return label([...request, ...answer]);
      }
      if (exchange.injected) {
        counts.injected++;
        return [];
      }
      counts.exchanges++;
      const problems = checker.check(exchange);
      if (problems.length > 0) counts.failed++;
      return label(problems);
    } catch (error) {
      counts.failed++;
      return label([`${exchange.method} ${exchange.path}: the checker failed: ${String(error)}`]);
    }
  }
}

/** Adds one tally into another. */
export function addTally(into: ContractTally, from: ContractTally): void {
  for (const [system, counts] of Object.entries(from.systems)) {
    const target = countsOf(into, system);
    for (const key of Object.keys(counts) as (keyof SystemTally)[]) target[key] += counts[key];
  }
  for (const [simulator, n] of Object.entries(from.unjudged))
    into.unjudged[simulator] = (into.unjudged[simulator] ?? 0) + n;
  into.judgeMs += from.judgeMs;
}
