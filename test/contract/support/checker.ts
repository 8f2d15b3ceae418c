import type { SimExchange } from '../../../sandbox/http.ts';

/**
 * Holds one system's recorded exchanges (request and answer) to its published specification. The
 * contract report counts, per checker, how many exchanges it judged and how many broke the
 * specification.
 */
export interface ContractChecker {
  /** What the contract report calls the system ("Slack Web API", "GitHub REST"). */
  readonly system: string;
  /** Whether this exchange, recorded by the simulator named `simulator`, is one this checker judges. */
  accepts(simulator: string, exchange: SimExchange): boolean;
  /** What breaks the specification, one line per problem; empty when the exchange keeps to it. */
  check(exchange: SimExchange): string[];
}
