import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import type { SimExchange } from '../../../sandbox/http.ts';

/**
 * One OpenAPI request/response checker for every REST contract test: Swagger 2.0 (Argo CD, Argo
 * Workflows) and OpenAPI 3 documents. Schemas are validated by ajv (draft-07 JSON Schema, with
 * ajv-formats for `date-time` and friends) after one rewrite: an object that lists its
 * `properties` and says nothing of others is closed, because the published documents leave
 * `additionalProperties` unset and a misspelt field would otherwise pass. Maps
 * (`additionalProperties: {…}`) stay open.
 */

type Schema = Record<string, unknown>;

/** A request as a simulator recorded it, with the answer it gave. */
export type Exchange = SimExchange;

export interface ContractOptions {
  /**
   * How the server writes and reads 64-bit integers: `number` for encoding/json (what both Argo
   * servers use), `either` for grpc-gateway's protojson default (a string of digits, or a number).
   */
  int64?: 'number' | 'either';
  /**
   * Where the server is known to differ from its document: `Definition` or `Definition.property`
   * mapped to a function of the (already rewritten) schema. Each use names its source.
   */
  overrides?: Readonly<Record<string, (schema: Schema) => Schema>>;
  /**
   * Path parameters that take the rest of the path, slashes included: grpc-gateway's `{name=**}`,
   * which the generated document writes as a plain `{name}`. Each use names its source.
   */
  restOfPath?: readonly string[];
  /**
   * Answers any operation may give whether its document lists them or not, by status, with their
   * schema (a `$ref` into the document, or a schema): GitHub's credential, rate-limit and
   * server errors, which its description lists for a few operations only. An operation's own
   * answer for the status wins. Each use names its source.
   */
  commonResponses?: Readonly<Record<string, Schema>>;
}

interface Parameter {
  name: string;
  in: string;
  required?: boolean;
  type?: string;
  format?: string;
  enum?: unknown[];
  items?: Schema;
  collectionFormat?: string;
  schema?: Schema;
}

interface RequestBody {
  required?: boolean;
  content?: Record<string, { schema?: Schema }>;
}

interface Response {
  schema?: Schema;
  content?: Record<string, { schema?: Schema }>;
}

/** OpenAPI 3 lets a request body or an answer be a `$ref` to `components.requestBodies`/`responses`. */
interface Operation {
  parameters?: Parameter[];
  requestBody?: RequestBody | { $ref: string };
  responses?: Record<string, Response | { $ref: string }>;
}

interface Matched {
  template: string;
  operation: Operation;
  parameters: Parameter[];
  pathValues: Record<string, string>;
}

const ROOT = 'contract:spec';
const METHODS = ['get', 'put', 'post', 'delete', 'patch', 'head', 'options'];
const INT_FORMATS = new Set(['int32', 'int64', 'uint32', 'uint64']);
const isObject = (v: unknown): v is Schema => typeof v === 'object' && v !== null && !Array.isArray(v);
// ajv-formats is CommonJS; under Node's ESM its default export is the plugin function itself.
const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv;

export class OpenApiContract {
  readonly #doc: Schema;
  readonly #ajv: Ajv;
  readonly #int64: 'number' | 'either';
  readonly #compiled = new Map<Schema, ValidateFunction>();
  readonly #paths: { template: string; re: RegExp; names: string[]; literals: number; item: Schema }[];
  readonly #basePath: string;
  readonly #commonResponses: Readonly<Record<string, Schema>>;

  constructor(document: unknown, options: ContractOptions = {}) {
    if (!isObject(document) || !isObject(document.paths))
      throw new Error('not an OpenAPI document (no paths)');
    this.#doc = document;
    this.#int64 = options.int64 ?? 'either';
    this.#commonResponses = options.commonResponses ?? {};
    const oas3 = typeof document.openapi === 'string';
    this.#basePath = typeof document.basePath === 'string' ? document.basePath.replace(/\/$/, '') : '';
    const definitions = oas3
      ? ((document.components as Schema | undefined)?.schemas as Schema | undefined)
      : (document.definitions as Schema | undefined);
    const closed: Schema = {};
    for (const [name, schema] of Object.entries(definitions ?? {})) {
      let rewritten = this.#rewrite(schema);
      for (const [target, override] of Object.entries(options.overrides ?? {})) {
        if (target === name) rewritten = override(rewritten);
        const property = target.startsWith(`${name}.`) ? target.slice(name.length + 1) : undefined;
        const properties = rewritten.properties;
        if (property && isObject(properties) && isObject(properties[property]))
          properties[property] = override(properties[property]);
      }
      closed[name] = rewritten;
    }
    this.#ajv = new Ajv({ allErrors: true, strict: false, logger: false });
    addFormats(this.#ajv);
    this.#ajv.addSchema(
      oas3 ? { $id: ROOT, components: { schemas: closed } } : { $id: ROOT, definitions: closed },
    );
    this.#paths = Object.entries(document.paths).map(([template, item]) => {
      const names: string[] = [];
      const source = template
        .split('/')
        .map((part) => {
          const param = /^\{(.+)\}$/.exec(part);
          if (param?.[1]) {
            names.push(param[1]);
            return options.restOfPath?.includes(param[1]) ? '(.+)' : '([^/]+)';
          }
          return part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
        })
        .join('/');
      const literals = template.split('/').filter((p) => p && !p.startsWith('{')).length;
      return { template, re: new RegExp(`^${source}$`), names, literals, item: item as Schema };
    });
    // The most literal template wins: `/applications/manifestsWithFiles` before `/applications/{name}`.
    this.#paths.sort((a, b) => b.literals - a.literals);
  }

  /** Every way the exchange departs from the document; empty when it keeps to it. */
  check(exchange: Exchange): string[] {
    const where = `${exchange.method} ${exchange.path}${exchange.query}`;
    const matched = this.#match(exchange.method, exchange.path);
    if (typeof matched === 'string') return [`${where}: ${matched}`];
    return [...this.#checkRequest(exchange, matched), ...this.#checkResponse(exchange, matched)].map(
      (problem) => `${where} (${matched.template}): ${problem}`,
    );
  }

  #match(method: string, rawPath: string): Matched | string {
    const path =
      this.#basePath && rawPath.startsWith(this.#basePath) ? rawPath.slice(this.#basePath.length) : rawPath;
    const found = this.#paths.filter((p) => p.re.test(path));
    if (!found.length) return 'no path of the document matches';
    const verb = method.toLowerCase();
    const hit = found.find((p) => isObject(p.item[verb]));
    if (!hit)
      return `${method} is not an operation of ${found.map((p) => `${p.template} (${METHODS.filter((m) => m in p.item).join(', ')})`).join('; ')}`;
    const values = hit.re.exec(path)?.slice(1) ?? [];
    const pathValues = Object.fromEntries(hit.names.map((n, i) => [n, decodeURIComponent(values[i] ?? '')]));
    const operation = hit.item[verb] as Operation;
    // Operation parameters replace path-level ones of the same name and place.
    const shared = (hit.item.parameters ?? []) as Parameter[];
    const own = operation.parameters ?? [];
    const parameters = [
      ...shared.filter((s) => !own.some((o) => o.name === s.name && o.in === s.in)),
      ...own,
    ].map((p) => this.#deref(p as unknown as Schema) as unknown as Parameter);
    return { template: hit.template, operation, parameters, pathValues };
  }

  #checkRequest(exchange: Exchange, matched: Matched): string[] {
    const problems: string[] = [];
    const query = new URLSearchParams(exchange.query);
    const inQuery = matched.parameters.filter((p) => p.in === 'query');
    for (const name of new Set(query.keys())) {
      const param = inQuery.find((p) => p.name === name);
      if (!param) {
        problems.push(`unknown query parameter "${name}"`);
        continue;
      }
      const values = query.getAll(name);
      const array = param.type === 'array' || (isObject(param.schema) && param.schema.type === 'array');
      if (
        values.length > 1 &&
        !(array && (param.collectionFormat === 'multi' || param.collectionFormat === undefined))
      )
        problems.push(`query parameter "${name}" given ${values.length} times`);
      for (const value of values)
        problems.push(...this.#checkParameter(param, value, `query parameter "${name}"`));
    }
    for (const param of inQuery)
      if (param.required && !query.has(param.name))
        problems.push(`required query parameter "${param.name}" missing`);
    for (const param of matched.parameters.filter((p) => p.in === 'path'))
      problems.push(
        ...this.#checkParameter(
          param,
          matched.pathValues[param.name] ?? '',
          `path parameter "${param.name}"`,
        ),
      );

    const bodyParam = matched.parameters.find((p) => p.in === 'body');
    const requestBody = matched.operation.requestBody
      ? (this.#deref(matched.operation.requestBody as Schema) as RequestBody)
      : undefined;
    const bodySchema = bodyParam?.schema ?? requestBody?.content?.['application/json']?.schema;
    const required = bodyParam?.required ?? requestBody?.required ?? false;
    if (exchange.body === undefined) {
      if (required) problems.push('the operation requires a body; none was sent');
    } else if (!bodySchema) problems.push('the operation takes no body');
    else problems.push(...this.#validate(bodySchema, exchange.body, 'request body'));
    return problems;
  }

  #checkResponse(exchange: Exchange, matched: Matched): string[] {
    const responses = matched.operation.responses ?? {};
    const listed =
      responses[String(exchange.status)] ?? responses[`${String(exchange.status)[0]}XX`] ?? responses.default;
    const common = this.#commonResponses[String(exchange.status)];
    if (!listed && !common) return [`status ${exchange.status} is not a documented answer`];
    const response = listed ? (this.#deref(listed as Schema) as Response) : undefined;
    const schema = response ? (response.schema ?? response.content?.['application/json']?.schema) : common;
    if (!schema) return exchange.responseBody === undefined ? [] : ['a body where the document has none'];
    if (exchange.responseText !== undefined) {
      // grpc-gateway streams ("Stream result of …"): one JSON object a line.
      return exchange.responseText
        .split('\n')
        .filter((line) => line.trim() !== '')
        .flatMap((line, i) => {
          try {
            return this.#validate(schema, JSON.parse(line), `response line ${i + 1}`);
          } catch {
            return [`response line ${i + 1} is not JSON`];
          }
        });
    }
    if (exchange.responseBody === undefined) return ['an empty answer where the document has a body'];
    return this.#validate(schema, exchange.responseBody, `response ${exchange.status}`);
  }

  #checkParameter(param: Parameter, value: string, what: string): string[] {
    const schema = isObject(param.schema) ? param.schema : param;
    const type =
      param.type === 'array'
        ? (param.items?.type as string | undefined)
        : (schema.type as string | undefined);
    const enumeration = (param.type === 'array' ? param.items?.enum : schema.enum) as unknown[] | undefined;
    const format = param.type === 'array' ? param.items?.format : schema.format;
    if (enumeration && !enumeration.includes(value))
      return [`${what} is "${value}", not one of ${enumeration.map(String).join(', ')}`];
    if (type === 'boolean' && value !== 'true' && value !== 'false')
      return [`${what} is "${value}", not true or false`];
    if (
      (type === 'integer' || (typeof format === 'string' && INT_FORMATS.has(format))) &&
      !/^-?\d+$/.test(value)
    )
      return [`${what} is "${value}", not an integer`];
    if (type === 'number' && Number.isNaN(Number(value))) return [`${what} is "${value}", not a number`];
    // OpenAPI 3: then the parameter's schema whole (formats such as date-time, bounds), the text
    // read as the type the schema names.
    if (isObject(param.schema) && param.schema.type !== 'array')
      return this.#validate(param.schema, asType(value, param.schema.type), what);
    return [];
  }

  #validate(schema: Schema, value: unknown, what: string): string[] {
    let validate = this.#compiled.get(schema);
    if (!validate) {
      validate = this.#ajv.compile(this.#rewrite(schema));
      this.#compiled.set(schema, validate);
    }
    if (validate(value)) return [];
    return (validate.errors ?? []).map((e) => `${what}${e.instancePath || ''}: ${describe(e)}`);
  }

  #deref(node: Schema): Schema {
    const ref = node.$ref;
    if (typeof ref !== 'string' || !ref.startsWith('#/')) return node;
    let at: unknown = this.#doc;
    for (const part of ref.slice(2).split('/')) at = isObject(at) ? at[part] : undefined;
    if (!isObject(at)) throw new Error(`unresolved ${ref}`);
    return at;
  }

  /** The schema as ajv should judge it: closed objects, integers as the server writes them, refs to the root. */
  #rewrite(schema: unknown): Schema {
    if (!isObject(schema)) return {};
    if (typeof schema.$ref === 'string')
      return { $ref: schema.$ref.startsWith('#/') ? `${ROOT}${schema.$ref}` : schema.$ref };
    const out: Schema = { ...schema };
    if (isObject(out.properties))
      out.properties = Object.fromEntries(
        Object.entries(out.properties).map(([k, v]) => [k, this.#rewrite(v)]),
      );
    if (isObject(out.items)) out.items = this.#rewrite(out.items);
    if (isObject(out.additionalProperties))
      out.additionalProperties = this.#rewrite(out.additionalProperties);
    for (const key of ['allOf', 'anyOf', 'oneOf'])
      if (Array.isArray(out[key])) out[key] = (out[key] as unknown[]).map((s) => this.#rewrite(s));
    // An object closed only where nothing composes it: allOf parts each list some of the fields.
    if (
      isObject(out.properties) &&
      out.additionalProperties === undefined &&
      !out.allOf &&
      !out.anyOf &&
      !out.oneOf
    )
      out.additionalProperties = false;
    if (typeof out.format === 'string' && INT_FORMATS.has(out.format)) {
      delete out.format;
      if (this.#int64 === 'number') out.type = 'integer';
      else {
        out.type = ['integer', 'string'];
        out.pattern = '^-?[0-9]+$';
      }
    }
    if (out.type === 'file') delete out.type;
    if (out.nullable === true) {
      delete out.nullable;
      return { anyOf: [out, { type: 'null' }] };
    }
    return out;
  }
}

/** A query or path value as the type its schema names, where it reads as one; else the text, for ajv to refuse. */
function asType(value: string, type: unknown): unknown {
  if ((type === 'integer' || type === 'number') && /^-?\d+(\.\d+)?$/.test(value)) return Number(value);
  if (type === 'boolean' && (value === 'true' || value === 'false')) return value === 'true';
  return value;
}

function describe(error: ErrorObject): string {
  const params = error.params as Record<string, unknown>;
  if (error.keyword === 'additionalProperties') return `unknown field "${String(params.additionalProperty)}"`;
  if (error.keyword === 'required') return `required field "${String(params.missingProperty)}" missing`;
  if (error.keyword === 'enum')
    return `${error.message ?? 'not allowed'} (${(params.allowedValues as unknown[]).join(', ')})`;
  return error.message ?? error.keyword;
}
