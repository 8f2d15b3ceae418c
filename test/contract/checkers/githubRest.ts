import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { SimExchange } from '../../../sandbox/http.ts';
import type { ContractChecker } from '../support/checker.ts';
import { OpenApiContract } from '../support/openapi.ts';

/**
 * GitHub's official OpenAPI description of api.github.com, as `@octokit/openapi` publishes it
 * (pinned in package.json). The plain variant, not `.deref.json`: its shared schemas stay
 * `$ref`s into `components`, so ajv compiles each once and the file is a fifth of the size.
 */
export const GITHUB_OPENAPI_FILE = createRequire(import.meta.url).resolve(
  '@octokit/openapi/generated/api.github.com.json',
);

const BASIC_ERROR = { $ref: '#/components/schemas/basic-error' };

/**
 * Answers GitHub gives to any request, though its description lists them for a few operations
 * only; their body is GitHub's `basic-error` (`message`, `documentation_url`).
 * docs.github.com/rest/using-the-rest-api/troubleshooting-the-rest-api: a primary or secondary
 * rate limit is answered 403 or 429 ("Rate limit errors"); a token that may not see a resource
 * gets 404, not 403 ("404 Not Found for an existing resource"); a missing or wrong token gets 401
 * ("Bad credentials", "Requires authentication"); a request that takes too long is ended with a
 * server error ("Timeouts"). The description's own `internal_error` and `service_unavailable`
 * answers are `basic-error` too.
 */
const ANY_OPERATION = Object.fromEntries(
  ['401', '403', '404', '429', '500', '502', '503', '504'].map((status) => [status, BASIC_ERROR]),
);

/** GitHub's REST API as its description has it: the judge of every REST exchange of the GitHub simulator. */
export function githubRestContract(): OpenApiContract {
  return new OpenApiContract(JSON.parse(readFileSync(GITHUB_OPENAPI_FILE, 'utf8')), {
    // GitHub writes every integer, int64 ids included, as a JSON number.
    int64: 'number',
    commonResponses: ANY_OPERATION,
  });
}

class GithubRestChecker implements ContractChecker {
  readonly system = 'GitHub REST';
  /** Built on first use: the description is 13 MB, read only by a run that talks to GitHub. */
  #contract: OpenApiContract | undefined;

  accepts(simulator: string, exchange: SimExchange): boolean {
    // GraphQL has its own judge (test/contract/githubGraphql.test.ts, GitHub's published schema).
    return simulator === 'github' && exchange.path !== '/graphql';
  }

  check(exchange: SimExchange): string[] {
    this.#contract ??= githubRestContract();
    return this.#contract.check(exchange);
  }
}

/** Holds every REST request dpbot sends to the GitHub simulator, and its answer, to GitHub's OpenAPI description. */
export const githubRestChecker: ContractChecker = new GithubRestChecker();
