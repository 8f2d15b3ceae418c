import type { ErrorObject, ValidateFunction } from 'ajv';
import type { SimExchange } from '../../../sandbox/http.ts';
import { SchemaCompiler } from './schemaCompiler.ts';

/**
 * One OpenAPI request/response checker for every REST contract test: Swagger 2.0 (Argo CD, Argo
 * Workflows) and OpenAPI 3 documents. Schemas are validated by ajv (draft-07 JSON Schema, with
 * ajv-formats for `date-time` and friends) after one rewrite: an object that lists its
 * `properties` and says nothing of others is closed, because the published documents leave
 * `additionalProperties` unset and a misspelt field would otherwise pass. Maps
 * (`additionalProperties: {…}`) stay open.
 */

export type Schema = Record<string, unknown>;

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
  /**
   * The definition that error answers (status 400 and up) keep to where the document gives that
   * status no schema or leaves it out: the error body the service sends for every failure. Each
   * use names its source.
   */
  errorSchema?: string;
  /**
   * What the document was made from (a spec file, and the code that edited it), naming its compiled
   * validators in the cache (schemaCompiler.ts): `specKey()`. Without it the document itself is the
   * name, which costs a serialisation of it.
   */
  cacheKey?: string;
}

export interface Parameter {
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

export interface RequestBody {
  required?: boolean;
  content?: Record<string, { schema?: Schema }>;
}

export interface Response {
  schema?: Schema;
  content?: Record<string, { schema?: Schema }>;
}

/** OpenAPI 3 lets a request body or an answer be a `$ref` to `components.requestBodies`/`responses`. */
export interface Operation {
  parameters?: Parameter[];
  consumes?: string[];
  requestBody?: RequestBody & { $ref?: string };
  responses?: Record<string, Response & { $ref?: string }>;
}

/** The operation of the document a request is for. */
export interface OperationMatch {
  template: string;
  operation: Operation;
  parameters: Parameter[];
  pathValues: Record<string, string>;
}

const ROOT = 'contract:spec';
const METHODS = ['get', 'put', 'post', 'delete', 'patch', 'head', 'options'];
const INT_FORMATS = new Set(['int32', 'int64', 'uint32', 'uint64']);
const isObject = (v: unknown): v is Schema => typeof v === 'object' && v !== null && !Array.isArray(v);

export class OpenApiContract {
  readonly #doc: Schema;
  readonly #compiler: SchemaCompiler;
  readonly #int64: 'number' | 'either';
  readonly #compiled = new Map<Schema, ValidateFunction>();
  readonly #paths: { template: string; re: RegExp; names: string[]; literals: number; item: Schema }[];
  readonly #basePath: string;
  readonly #commonResponses: Readonly<Record<string, Schema>>;
  readonly #oas3: boolean;
  readonly #errorSchema: Schema | undefined;

  constructor(document: unknown, options: ContractOptions = {}) {
    if (!isObject(document) || !isObject(document.paths))
      throw new Error('not an OpenAPI document (no paths)');
    this.#doc = document;
    this.#int64 = options.int64 ?? 'either';
    this.#commonResponses = options.commonResponses ?? {};
    const oas3 = typeof document.openapi === 'string';
    this.#oas3 = oas3;
    this.#errorSchema = options.errorSchema
      ? { $ref: `#/${oas3 ? 'components/schemas' : 'definitions'}/${options.errorSchema}` }
      : undefined;
    this.#basePath = typeof document.basePath === 'string' ? document.basePath.replace(/\/$/, '') : '';
    // The rewritten definitions are what ajv resolves refs in; they are only needed when a schema
    // is not in the compiled cache yet.
    const root = (): Schema => {
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
      return oas3 ? { $id: ROOT, components: { schemas: closed } } : { $id: ROOT, definitions: closed };
    };
    this.#compiler = new SchemaCompiler(options.cacheKey ?? JSON.stringify([document, this.#int64]), root);
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
    return [...this.checkRequest(exchange), ...this.checkAnswer(exchange)];
  }

  /** Every way the request departs from the document (an unknown operation included). */
  checkRequest(exchange: Exchange): string[] {
    const matched = this.operation(exchange.method, exchange.path);
    if (typeof matched === 'string') return [`${where(exchange)}: ${matched}`];
    return this.#checkRequest(exchange, matched).map((problem) => `${where(exchange, matched)}: ${problem}`);
  }

  /** Every way the answer departs from the document; nothing when the operation is unknown (a request problem). */
  checkAnswer(exchange: Exchange): string[] {
    const matched = this.operation(exchange.method, exchange.path);
    if (typeof matched === 'string') return [];
    return this.#checkResponse(exchange, matched).map((problem) => `${where(exchange, matched)}: ${problem}`);
  }

  /** The operation of the document for this method and path, or why there is none. */
  operation(method: string, rawPath: string): OperationMatch | string {
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
    // Operation parameters replace path-level ones of the same name and place (both may be refs).
    const resolve = (list: unknown) =>
      ((list ?? []) as Schema[]).map((p) => this.#deref(p) as unknown as Parameter);
    const shared = resolve(hit.item.parameters);
    const own = resolve(operation.parameters);
    const parameters = [
      ...shared.filter((s) => !own.some((o) => o.name === s.name && o.in === s.in)),
      ...own,
    ];
    return { template: hit.template, operation, parameters, pathValues };
  }

  #checkRequest(exchange: Exchange, matched: OperationMatch): string[] {
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
        problems.push(...this.checkValue(param, value, `query parameter "${name}"`));
    }
    for (const param of inQuery)
      if (param.required && !query.has(param.name))
        problems.push(`required query parameter "${param.name}" missing`);
    for (const param of matched.parameters.filter((p) => p.in === 'path'))
      problems.push(
        ...this.checkValue(param, matched.pathValues[param.name] ?? '', `path parameter "${param.name}"`),
      );

    const bodyParam = matched.parameters.find((p) => p.in === 'body');
    const requestBody = matched.operation.requestBody
      ? (this.#deref(matched.operation.requestBody as Schema) as RequestBody)
      : undefined;
    const mediaType = exchange.contentType?.split(';')[0]?.trim().toLowerCase();
    const content = requestBody?.content;
    const bodySchema =
      bodyParam?.schema ??
      (mediaType ? content?.[mediaType]?.schema : undefined) ??
      content?.['application/json']?.schema;
    const required = bodyParam?.required ?? requestBody?.required ?? false;
    if (exchange.body === undefined) {
      if (required) problems.push('the operation requires a body; none was sent');
    } else if (!bodySchema) problems.push('the operation takes no body');
    else {
      if (mediaType !== undefined) problems.push(...this.#checkMediaType(mediaType, matched.operation));
      problems.push(...this.validate(bodySchema, exchange.body, 'request body'));
    }
    return problems;
  }

  /** A body's content type must be one the operation takes (`consumes`, or the request body's media types). */
  #checkMediaType(mediaType: string, operation: Operation): string[] {
    const accepted = this.#oas3
      ? Object.keys(
          (operation.requestBody ? (this.#deref(operation.requestBody as Schema) as RequestBody) : undefined)
            ?.content ?? {},
        )
      : (operation.consumes ?? (this.#doc.consumes as string[] | undefined) ?? []);
    if (accepted.length === 0 || accepted.includes('*/*') || accepted.includes(mediaType)) return [];
    return [`content type "${mediaType}" is not one the operation takes (${accepted.join(', ')})`];
  }

  #checkResponse(exchange: Exchange, matched: OperationMatch): string[] {
    const responses = matched.operation.responses ?? {};
    const listed =
      responses[String(exchange.status)] ?? responses[`${String(exchange.status)[0]}XX`] ?? responses.default;
    const response = listed ? (this.#deref(listed as Schema) as Response) : undefined;
    const documented = response?.schema ?? response?.content?.['application/json']?.schema;
    // An operation's own answer for the status wins over the common ones and the error body.
    const schema =
      documented ??
      (response ? undefined : this.#commonResponses[String(exchange.status)]) ??
      (exchange.status >= 400 ? this.#errorSchema : undefined);
    if (!response && !schema) return [`status ${exchange.status} is not a documented answer`];
    // 204 No Content has no body, whatever the document pairs with it (RFC 9110, 15.3.5).
    if (exchange.status === 204)
      return exchange.responseBody === undefined ? [] : ['a body in a 204 (No Content) answer'];
    if (!schema || (exchange.responseBody === undefined && Object.keys(schema).length === 0))
      return exchange.responseBody === undefined ? [] : ['a body where the document has none'];
    if (exchange.responseText !== undefined) {
      // grpc-gateway streams ("Stream result of …"): one JSON object a line.
      return exchange.responseText
        .split('\n')
        .filter((line) => line.trim() !== '')
        .flatMap((line, i) => {
          try {
            return this.validate(schema, JSON.parse(line), `response line ${i + 1}`);
          } catch {
            return [`response line ${i + 1} is not JSON`];
          }
        });
    }
    if (exchange.responseBody === undefined) return ['an empty answer where the document has a body'];
    return this.validate(schema, exchange.responseBody, `response ${exchange.status}`);
  }

  /** A parameter's value as text (query, path, form field) against the parameter's type, format and enum. */
  checkValue(param: Parameter, value: string, what: string): string[] {
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
      return this.validate(param.schema, asType(value, param.schema.type), what);
    return [];
  }

  /** A value against a schema of the document (refs resolve in it), each problem prefixed by `what`. */
  validate(schema: Schema, value: unknown, what: string): string[] {
    let validate = this.#compiled.get(schema);
    if (!validate) {
      validate = this.#compiler.compile(this.#rewrite(schema));
      this.#compiled.set(schema, validate);
    }
    return this.#errors(validate, value).map((e) => `${what}${e.instancePath}: ${describe(e)}`);
  }

  #errors(validate: ValidateFunction, value: unknown): ErrorObject[] {
    if (validate(value)) return [];
    return this.#closestAlternatives([...(validate.errors ?? [])]);
  }

  /**
   * A value that fits none of an anyOf's (or oneOf's) alternatives gets the errors of every
   * alternative from ajv, which reads as noise ("unknown field" from one shape, "required" from
   * another). Kept instead: the errors of the alternative it came closest to (fewest errors), outermost
   * first.
   */
  #closestAlternatives(errors: ErrorObject[]): ErrorObject[] {
    const choice = errors
      .filter((e) => (e.keyword === 'anyOf' || e.keyword === 'oneOf') && e.params.passingSchemas == null)
      .sort((a, b) => a.instancePath.length - b.instancePath.length)[0];
    const alternatives = choice?.parentSchema?.[choice.keyword];
    if (!choice || !Array.isArray(alternatives)) return errors;
    const at = choice.instancePath;
    const inside = (e: ErrorObject) => e.instancePath === at || e.instancePath.startsWith(`${at}/`);
    const closest = (alternatives as Schema[])
      .map((alternative) => this.#errors(this.#compiler.compile(alternative), choice.data))
      .sort((a, b) => a.length - b.length)[0];
    const rebased = (closest ?? []).map((e) => ({ ...e, instancePath: `${at}${e.instancePath}` }));
    return [...this.#closestAlternatives(errors.filter((e) => !inside(e))), ...rebased];
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

function where(exchange: Exchange, matched?: OperationMatch): string {
  const call = `${exchange.method} ${exchange.path}${exchange.query}`;
  return matched ? `${call} (${matched.template})` : call;
}

function describe(error: ErrorObject): string {
  const params = error.params as Record<string, unknown>;
  if (error.keyword === 'additionalProperties') return `unknown field "${String(params.additionalProperty)}"`;
  if (error.keyword === 'required') return `required field "${String(params.missingProperty)}" missing`;
  if (error.keyword === 'enum')
    return `${error.message ?? 'not allowed'} (${(params.allowedValues as unknown[]).join(', ')})`;
  return error.message ?? error.keyword;
}
