import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { type ContractChecker, documentChecker } from '../support/checker.ts';
import { OpenApiContract } from '../support/openapi.ts';
import { once, specKey } from '../support/specs.ts';

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
export const githubRestContract = once(() => {
  const text = readFileSync(GITHUB_OPENAPI_FILE, 'utf8');
  return new OpenApiContract(JSON.parse(text), {
    // GitHub writes every integer, int64 ids included, as a JSON number.
    int64: 'number',
    commonResponses: ANY_OPERATION,
    // The description is 13 MB: its compiled validators are kept under the package file's hash
    // and the checkers' code, as the committed documents' are (specs.ts).
    cacheKey: createHash('sha256').update(specKey('SOURCES.md', 'github-rest')).update(text).digest('hex'),
  });
});

/**
 * Holds every REST request dpbot sends to the GitHub simulator, and its answer, to GitHub's
 * OpenAPI description. GraphQL has its own judge (test/contract/githubGraphql.test.ts, GitHub's
 * published schema).
 */
export const githubRestChecker: ContractChecker = documentChecker(
  'GitHub REST',
  (simulator, exchange) => simulator === 'github' && exchange.path !== '/graphql',
  githubRestContract,
);
