import type { SimExchange } from '../../../sandbox/http.ts';
import { type ContractChecker, splitChecker } from '../support/checker.ts';
import { OpenApiContract, type OperationMatch, type Parameter, type Schema } from '../support/openapi.ts';
import { once, readSpec, specKey } from '../support/specs.ts';

/**
 * Slack's Web API as its published OpenAPI 2 document describes it
 * (test/contract/specs/slack-web-api.swagger.json, slackapi/slack-api-specs, last updated October
 * 2020): the method, every argument (form fields, JSON or query string, however sent) and the
 * answer, `ok: true` against the method's success schema and `ok: false` against its error schema.
 *
 * The document is from 2020; Slack's current SDK (@slack/web-api, pinned in package.json) and
 * documentation win where it is out of date. Each such difference is one named override below,
 * with its source; nothing else is relaxed.
 */

interface SlackDocument {
  paths: Record<string, Record<string, Operation>>;
  definitions: Record<string, Schema>;
}

interface Operation {
  parameters: Parameter[];
  responses: Record<string, { schema?: Schema }>;
  [key: string]: unknown;
}

interface Override {
  name: string;
  source: string;
  apply(doc: SlackDocument): void;
}

/**
 * Errors every method can answer, which each method's reference page lists beside its own
 * (docs.slack.dev/reference/methods/<method>, "Errors"; the same list in the "Web API" overview's
 * "Evaluating responses"). The 2020 document lists some of them per method and not others.
 */
const COMMON_ERRORS = [
  'access_denied',
  'accesslimited',
  'account_inactive',
  'deprecated_endpoint',
  'ekm_access_denied',
  'enterprise_is_restricted',
  'fatal_error',
  'internal_error',
  'invalid_arg_name',
  'invalid_arguments',
  'invalid_array_arg',
  'invalid_auth',
  'invalid_charset',
  'invalid_form_data',
  'invalid_post_type',
  'is_bot',
  'method_deprecated',
  'missing_post_type',
  'missing_scope',
  'no_permission',
  'not_allowed_token_type',
  'not_authed',
  'org_login_required',
  'ratelimited',
  'request_timeout',
  'service_unavailable',
  'team_access_not_granted',
  'team_added_to_org',
  'token_expired',
  'token_revoked',
  'two_factor_setup_required',
  'unknown_method',
];

/**
 * Errors of a method that Slack documents now and the 2020 document does not list
 * (docs.slack.dev/reference/methods/<method>, "Errors"; the same lists, kept from those pages, in
 * slack-ruby/slack-api-ref methods/<group>/<method>.json).
 */
const NEWER_ERRORS: Readonly<Record<string, readonly string[]>> = {
  'chat.postMessage': ['invalid_blocks', 'invalid_blocks_format'],
  'chat.postEphemeral': ['invalid_blocks', 'invalid_blocks_format', 'not_in_channel'],
  'chat.update': ['invalid_blocks', 'invalid_blocks_format'],
  'usergroups.users.list': ['no_such_subteam'],
};

/** Arguments sent as JSON text inside a form field, and what that JSON must be. */
const JSON_ARGUMENTS: Readonly<Record<string, 'array' | 'object'>> = {
  blocks: 'array',
  attachments: 'array',
  view: 'object',
  metadata: 'object',
};

const stringArgument = (name: string): Parameter => ({ name, in: 'formData', type: 'string' });

const isObject = (v: unknown): v is Schema => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Every schema node of the document, depth first. */
function eachSchema(node: unknown, visit: (schema: Schema) => void): void {
  if (Array.isArray(node)) {
    for (const item of node) eachSchema(item, visit);
    return;
  }
  if (!isObject(node)) return;
  visit(node);
  for (const value of Object.values(node)) eachSchema(value, visit);
}

function operationOf(doc: SlackDocument, method: string): Operation {
  const item = doc.paths[`/${method}`];
  const operation = item?.post ?? item?.get;
  if (!operation) throw new Error(`the Slack document has no method ${method}`);
  return operation;
}

/** The error schema (`default`) of every method. */
function errorSchemas(doc: SlackDocument): Schema[] {
  return Object.values(doc.paths).flatMap((item) =>
    Object.values(item).flatMap((op) =>
      isObject(op.responses?.default?.schema) ? [op.responses.default.schema] : [],
    ),
  );
}

const OVERRIDES: readonly Override[] = [
  {
    name: 'alternatives written as an `items` list',
    source:
      'the document writes "one of these shapes" as `items: [A, B, …]` (objs_user, objs_conversation, ' +
      'objs_response_metadata and 24 more); JSON Schema reads an `items` list as a tuple of array ' +
      'positions (draft-07 §9.3.1.1), so as written these check nothing. Read as anyOf, as the titles ' +
      'of the alternatives ("Conversation object", "Conversation IM Channel Object…") mean.',
    apply: (doc) =>
      eachSchema(doc, (schema) => {
        const items = schema.items;
        if (!Array.isArray(items)) return;
        if (schema.type === 'array') schema.items = { anyOf: items };
        else {
          delete schema.items;
          schema.anyOf = items;
        }
      }),
  },
  {
    name: 'every method takes GET and POST',
    source:
      'docs.slack.dev/apis/web-api ("Basics": arguments go in the query string or a POST body, ' +
      'form-encoded or JSON); @slack/web-api WebClient.apiCall POSTs every method. The document gives ' +
      'some methods (users.list, views.open, …) as GET only.',
    apply: () => undefined, // in methodOf()
  },
  {
    name: '`token` in the Authorization header',
    source:
      'docs.slack.dev/authentication/tokens ("send tokens in the Authorization header as a bearer ' +
      'token"); @slack/web-api sends it there. The document lists `token` as an argument.',
    apply: () => undefined, // in checkRequest()
  },
  {
    name: '`team_id` on every method',
    source:
      '@slack/web-api WebClient.apiCall adds `team_id` to every call of a client made with `teamId` ' +
      "(org-wide apps); the methods' TeamAssignable/OptionalTeamAssignable arguments in " +
      'src/types/request/common.ts.',
    apply: (doc) => {
      for (const item of Object.values(doc.paths))
        for (const op of Object.values(item))
          if (!op.parameters.some((p) => p.name === 'team_id')) op.parameters.push(stringArgument('team_id'));
    },
  },
  {
    name: 'common errors on every method',
    source: 'docs.slack.dev/reference/methods/<method>, "Errors" (see COMMON_ERRORS)',
    apply: (doc) => {
      for (const schema of errorSchemas(doc)) {
        const error = (schema.properties as Schema | undefined)?.error;
        if (isObject(error) && Array.isArray(error.enum))
          error.enum = [...new Set([...(error.enum as string[]), ...COMMON_ERRORS])];
      }
    },
  },
  {
    name: 'errors newer than the document',
    source: 'docs.slack.dev/reference/methods/<method>, "Errors" (see NEWER_ERRORS)',
    apply: (doc) => {
      for (const [method, errors] of Object.entries(NEWER_ERRORS)) {
        const schema = operationOf(doc, method).responses.default?.schema;
        const error = (schema?.properties as Schema | undefined)?.error;
        if (!isObject(error) || !Array.isArray(error.enum)) throw new Error(`${method}: no error enum`);
        error.enum = [...(error.enum as string[]), ...errors];
      }
    },
  },
  {
    name: 'what an error answer carries besides `error`',
    source:
      'docs.slack.dev/apis/web-api ("Evaluating responses": `response_metadata.messages` and ' +
      '`warnings`); `errors` beside invalid_blocks (the per-block list, e.g. slackapi/java-slack-sdk ' +
      '#1017, slack-go/slack #939); `needed` and `provided` beside missing_scope ' +
      '(docs.slack.dev/authentication/tokens, "Scopes").',
    apply: (doc) => {
      const strings = { type: 'array', items: { type: 'string' } };
      for (const schema of errorSchemas(doc)) {
        const properties = schema.properties as Schema;
        properties.errors = strings;
        properties.needed = { type: 'string' };
        properties.provided = { type: 'string' };
        properties.warning = { type: 'string' };
        properties.response_metadata = {
          type: 'object',
          additionalProperties: false,
          properties: { messages: strings, warnings: strings },
        };
      }
    },
  },
  {
    name: "chat.update's `message.blocks` is a list",
    source:
      'docs.slack.dev/reference/methods/chat.update (the example answer: `"blocks": [ … ]`); a message\'s ' +
      '`blocks` is a list everywhere else in the document (objs_message). The document says object.',
    apply: (doc) => {
      const ok = operationOf(doc, 'chat.update').responses['200']?.schema;
      const message = (ok?.properties as Schema | undefined)?.message as Schema | undefined;
      const properties = message?.properties as Schema | undefined;
      if (!properties) throw new Error('chat.update: no message in the success schema');
      properties.blocks = { type: 'array', items: { type: 'object' } };
    },
  },
  {
    name: 'apps.connections.open (Socket Mode, 2021)',
    source:
      'docs.slack.dev/reference/methods/apps.connections.open: an app-level token, no other ' +
      'argument; answers `{ok, url}`. Newer than the document.',
    apply: (doc) => {
      doc.paths['/apps.connections.open'] = {
        post: {
          parameters: [{ name: 'token', in: 'header', type: 'string', required: true }],
          responses: {
            '200': {
              schema: {
                type: 'object',
                additionalProperties: false,
                required: ['ok', 'url'],
                properties: { ok: { $ref: '#/definitions/defs_ok_true' }, url: { type: 'string' } },
              },
            },
            default: {
              schema: {
                type: 'object',
                additionalProperties: false,
                required: ['ok', 'error'],
                properties: {
                  ok: { $ref: '#/definitions/defs_ok_false' },
                  error: { type: 'string', enum: ['socket_mode_not_enabled', ...COMMON_ERRORS] },
                },
              },
            },
          },
        },
      };
    },
  },
];

/** The document with every override applied, and the checker built on it. */
const slackContract = once(() => {
  const doc = readSpec('slack-web-api.swagger.json') as SlackDocument;
  for (const override of OVERRIDES) override.apply(doc);
  return new OpenApiContract(doc, { cacheKey: specKey('slack-web-api.swagger.json') });
});

function methodOf(exchange: SimExchange): OperationMatch | string {
  const contract = slackContract();
  const found = contract.operation(exchange.method, exchange.path);
  if (typeof found !== 'string') return found;
  // Override "every method takes GET and POST".
  const other = exchange.method === 'GET' ? 'POST' : 'GET';
  return contract.operation(other, exchange.path);
}

/** The call's arguments, from the query string and the body (form fields or JSON). */
function argumentsOf(exchange: SimExchange): Map<string, unknown> {
  const args = new Map<string, unknown>(new URLSearchParams(exchange.query));
  if (isObject(exchange.body))
    for (const [name, value] of Object.entries(exchange.body)) args.set(name, value);
  return args;
}

function checkArgument(param: Parameter, value: unknown): string[] {
  const what = `argument "${param.name}"`;
  const json = JSON_ARGUMENTS[param.name];
  if (json) {
    let parsed = value;
    if (typeof value === 'string') {
      try {
        parsed = JSON.parse(value);
      } catch {
        return [`${what} is not JSON`];
      }
    }
    const kind = Array.isArray(parsed) ? 'array' : isObject(parsed) ? 'object' : typeof parsed;
    return kind === json ? [] : [`${what} is JSON ${kind}, not an ${json}`];
  }
  if (typeof value === 'string') return slackContract().checkValue(param, value, what);
  const type = param.type === 'integer' ? 'number' : param.type;
  return typeof value === type ? [] : [`${what} is a ${typeof value}, not ${param.type}`];
}

function checkRequest(exchange: SimExchange): string[] {
  const call = `${exchange.method} ${exchange.path}`;
  const method = methodOf(exchange);
  if (typeof method === 'string') return [`${call}: no such Web API method (${method})`];
  const parameters = method.parameters.filter(
    (p) => p.in === 'query' || p.in === 'formData' || p.in === 'header',
  );
  const args = argumentsOf(exchange);
  const problems: string[] = [];
  for (const [name, value] of args) {
    const param = parameters.find((p) => p.name === name);
    if (!param) problems.push(`unknown argument "${name}"`);
    else problems.push(...checkArgument(param, value));
  }
  for (const param of parameters) {
    if (!param.required || args.has(param.name)) continue;
    // Override "`token` in the Authorization header".
    if (param.name === 'token' && exchange.authorized) continue;
    problems.push(`required argument "${param.name}" missing`);
  }
  return problems.map((p) => `${call}: ${p}`);
}

function checkAnswer(exchange: SimExchange): string[] {
  const call = `${exchange.method} ${exchange.path}`;
  const method = methodOf(exchange);
  if (typeof method === 'string') return [];
  const answer = exchange.responseBody;
  // Slack answers every call with 200, errors included, except rate limiting: 429 (docs.slack.dev/apis/web-api/rate-limits).
  if (exchange.status !== 200 && exchange.status !== 429)
    return [`${call}: status ${exchange.status}; Slack answers 200 (or 429 when rate limited)`];
  if (!isObject(answer) || typeof answer.ok !== 'boolean')
    return [`${call}: the answer is not a JSON object with a boolean "ok"`];
  const schema = method.operation.responses?.[answer.ok ? '200' : 'default']?.schema;
  if (!schema) return [`${call}: the document has no ${answer.ok ? 'success' : 'error'} schema`];
  return slackContract()
    .validate(schema, answer, answer.ok ? 'answer' : `error answer "${String(answer.error)}"`)
    .map((p) => `${call}: ${p}`);
}

/** Every Web API call to the Slack simulator (`/api/<method>`; response_url posts are not Web API methods). */
export const slackWebApiChecker: ContractChecker = splitChecker(
  'Slack Web API',
  (simulator, exchange) => simulator === 'Slack' && exchange.path.startsWith('/api/'),
  checkRequest,
  checkAnswer,
);
