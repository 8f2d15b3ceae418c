import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';

const here = (path: string) => new URL(path, import.meta.url);

const texts = new Map<string, string>();

/** A spec file's text, read once per worker (both readSpec and specKey need it). */
function specText(file: string): string {
  const text = texts.get(file) ?? readFileSync(here(`../specs/${file}`), 'utf8');
  texts.set(file, text);
  return text;
}

/** A published description committed in `test/contract/specs/` (sources in SOURCES.md there), parsed. */
export function readSpec(file: string): unknown {
  return JSON.parse(specText(file));
}

/** The checkers' own code: what turns a spec file into the schemas they compile. */
const codeKey = once(() => {
  const hash = createHash('sha256');
  for (const folder of ['./', '../checkers/'])
    for (const file of readdirSync(here(folder))
      .filter((f) => f.endsWith('.ts'))
      .sort())
      hash.update(file).update(readFileSync(here(`${folder}${file}`)));
  return hash.digest('hex');
});

/**
 * What a checker's document is made from: the spec file and the checkers' code (overrides
 * included), and `variant` when one checker makes two documents of one file. It names the compiled
 * validators in the cache (schemaCompiler.ts); any change to either is a new name.
 */
export function specKey(file: string, variant = ''): string {
  return createHash('sha256').update(codeKey()).update(specText(file)).update(variant).digest('hex');
}

/**
 * The same value built once per test worker, on first use: the documents are large and most test
 * files talk to only some of the systems, so each is read and compiled only where it is needed.
 */
export function once<T>(build: () => T): () => T {
  let value: { built: T } | undefined;
  return () => {
    value ??= { built: build() };
    return value.built;
  };
}
