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
  /**
   * Optional, together with checkAnswer: check() split into the request's problems (what dpbot
   * sent) and the answer's (what the simulator gave). With them the report counts failed requests
   * and answers apart, and an answer a test injected (`inject()`) is left unjudged while its
   * request is still held to the specification; without them such an exchange is not judged.
   */
  checkRequest?(exchange: SimExchange): string[];
  checkAnswer?(exchange: SimExchange): string[];
}

/** A checker made of its two halves; check() is both. */
export function splitChecker(
  system: string,
  accepts: ContractChecker['accepts'],
  checkRequest: (exchange: SimExchange) => string[],
  checkAnswer: (exchange: SimExchange) => string[],
): ContractChecker {
  return {
    system,
    accepts,
    check: (exchange) => [...checkRequest(exchange), ...checkAnswer(exchange)],
    checkRequest,
    checkAnswer,
  };
}

/** A checker that judges by a document's contract (an OpenApiContract), built on first use. */
export function documentChecker(
  system: string,
  accepts: ContractChecker['accepts'],
  contract: () => Required<Pick<ContractChecker, 'checkRequest' | 'checkAnswer'>>,
): ContractChecker {
  return splitChecker(
    system,
    accepts,
    (exchange) => contract().checkRequest(exchange),
    (exchange) => contract().checkAnswer(exchange),
  );
}
