import type { ErrorObject } from 'ajv';
import type { SimExchange } from '../../../sandbox/http.ts';
import { type ContractChecker, splitChecker } from '../support/checker.ts';
import { OpenApiContract } from '../support/openapi.ts';
import { SchemaCompiler } from '../support/schemaCompiler.ts';
import { once, readSpec, specKey } from '../support/specs.ts';

/**
 * Jira Cloud's published REST API v3 document (test/contract/specs/jira-platform.openapi.json)
 * judges path, method, query parameters, content type, body and answer of every call; every
 * Atlassian Document Format document in a request or an answer (descriptions, comments) is held to
 * the ADF JSON schema Atlassian publishes in @atlaskit/adf-schema (test/contract/specs/adf.schema.json),
 * which the Jira document leaves untyped.
 */
export const jiraContract = once(
  () =>
    new OpenApiContract(readSpec('jira-platform.openapi.json'), {
      // Jira's REST layer (Jackson) writes and reads int64 fields (`Version.projectId`) as numbers.
      int64: 'number',
      // Every failure carries an ErrorCollection `{errorMessages, errors}` (developer.atlassian.com/
      // cloud/jira/platform/rest/v3/intro, "Status codes"), where the document gives most error
      // statuses no schema.
      errorSchema: 'ErrorCollection',
      cacheKey: specKey('jira-platform.openapi.json'),
    }),
);

const adfValidator = once(() => {
  const schema = readSpec('adf.schema.json') as Record<string, unknown>;
  // The file names draft-04 as its dialect; it uses nothing that draft-07 (ajv's) reads otherwise
  // (no `id`, no boolean `exclusiveMinimum`), and ajv would refuse the unknown meta-schema.
  delete schema.$schema;
  return new SchemaCompiler(specKey('adf.schema.json')).compile(schema);
});

/** Every ADF document (`{type: "doc", version, content}`) in a value, with where it is. */
function adfDocuments(value: unknown, at: string): { at: string; doc: unknown }[] {
  if (Array.isArray(value)) return value.flatMap((v, i) => adfDocuments(v, `${at}/${i}`));
  if (typeof value !== 'object' || value === null) return [];
  const record = value as Record<string, unknown>;
  if (record.type === 'doc' && 'content' in record) return [{ at, doc: value }];
  return Object.entries(record).flatMap(([key, v]) => adfDocuments(v, `${at}/${key}`));
}

/** ADF errors, shortest first: the schema's anyOf over node kinds reports every kind that did not fit. */
function adfProblems(value: unknown, what: string): string[] {
  return adfDocuments(value, '').flatMap(({ at, doc }) => {
    const validate = adfValidator();
    if (validate(doc)) return [];
    const errors = (validate.errors ?? []) as ErrorObject[];
    const deepest = Math.max(...errors.map((e) => e.instancePath.length));
    return errors
      .filter((e) => e.instancePath.length === deepest)
      .map((e) => `${what}${at}${e.instancePath}: not Atlassian Document Format (${e.message ?? e.keyword})`);
  });
}

function checkRequest(exchange: SimExchange): string[] {
  const call = `${exchange.method} ${exchange.path}`;
  return [
    ...jiraContract().checkRequest(exchange),
    ...adfProblems(exchange.body, 'request body').map((p) => `${call}: ${p}`),
  ];
}

function checkAnswer(exchange: SimExchange): string[] {
  const call = `${exchange.method} ${exchange.path}`;
  return [
    ...jiraContract().checkAnswer(exchange),
    ...adfProblems(exchange.responseBody, `response ${exchange.status}`).map((p) => `${call}: ${p}`),
  ];
}

/**
 * Every REST API v3 call to the Jira simulator (dpbot uses v3 only; the simulator's v2 routes and
 * its `/browse` pages are not judged).
 */
export const jiraChecker: ContractChecker = splitChecker(
  'Jira Cloud',
  (simulator, exchange) => simulator === 'jira' && exchange.path.startsWith('/rest/api/3/'),
  checkRequest,
  checkAnswer,
);
