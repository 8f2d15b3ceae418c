import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { _, Ajv, type ValidateFunction } from 'ajv';
import standaloneModule from 'ajv/dist/standalone/index.js';
import addFormatsModule from 'ajv-formats';

type Schema = Record<string, unknown>;

// ajv-formats and ajv's standalone module are CommonJS; under Node's ESM their default export is the
// function itself.
const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv;
const standaloneCode = standaloneModule as unknown as (ajv: Ajv, validate: ValidateFunction) => string;

const require = createRequire(import.meta.url);
const AJV_VERSION = (
  JSON.parse(readFileSync(require.resolve('ajv/package.json'), 'utf8')) as { version: string }
).version;

/**
 * Compiled validators are kept as ajv standalone modules under node_modules/.cache, named by a hash
 * of everything that makes them (what the document was made from, the schema, ajv's version): every
 * test file runs in a worker of its own, and compiling the large graphs (an Argo Workflow, a
 * Kubernetes Deployment) takes seconds where loading the module takes milliseconds. A changed
 * document, checker or schema is a new name, so nothing stale is ever loaded.
 */
const CACHE = join(import.meta.dirname, '..', '..', '..', 'node_modules', '.cache', 'dpbot-contract');

/**
 * ajv over one document's schemas (the root `root()` builds, only when a schema is not in the cache),
 * with ajv-formats, verbose errors (with their schema and value) and every error reported.
 */
export class SchemaCompiler {
  readonly #key: string;
  readonly #root: () => Schema | undefined;
  #ajv: Ajv | undefined;
  readonly #compiled = new Map<string, ValidateFunction>();

  /** `key` names the document and everything that shaped it (see specKey). */
  constructor(key: string, root: () => Schema | undefined = () => undefined) {
    this.#key = createHash('sha256').update(`ajv ${AJV_VERSION}\n${key}`).digest('hex');
    this.#root = root;
  }

  compile(schema: Schema): ValidateFunction {
    const text = JSON.stringify(schema);
    const known = this.#compiled.get(text);
    if (known) return known;
    const name = createHash('sha256').update(this.#key).update(text).digest('hex').slice(0, 32);
    const file = join(CACHE, `${name}.cjs`);
    let validate: ValidateFunction;
    try {
      validate = require(file) as ValidateFunction;
    } catch {
      const ajv = this.#instance();
      validate = ajv.compile(schema);
      store(file, standaloneCode(ajv, validate));
    }
    this.#compiled.set(text, validate);
    return validate;
  }

  #instance(): Ajv {
    if (this.#ajv) return this.#ajv;
    const ajv = new Ajv({
      allErrors: true,
      strict: false,
      logger: false,
      verbose: true,
      // A definition used in many places is compiled once, not into each.
      inlineRefs: false,
      code: { source: true, formats: _`require("ajv-formats/dist/formats").fullFormats` },
    });
    addFormats(ajv);
    const root = this.#root();
    if (root) ajv.addSchema(root);
    this.#ajv = ajv;
    return ajv;
  }
}

/** Written whole or not at all: test workers may compile the same schema at once. */
function store(file: string, code: string): void {
  mkdirSync(CACHE, { recursive: true });
  const temporary = `${file}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
  writeFileSync(temporary, code);
  renameSync(temporary, file);
}
