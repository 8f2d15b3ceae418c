import { parseDocument } from 'yaml';
import { ConfigError } from '../errors.ts';

/** Parses YAML text into a plain value, reporting syntax errors with line and column. */
export function parseYaml(text: string, source: string): unknown {
  const doc = parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length > 0) {
    throw new ConfigError(
      source,
      doc.errors.map((e) => {
        const pos = e.linePos?.[0];
        return `${pos ? `line ${pos.line}, column ${pos.col}: ` : ''}${e.message.split('\n')[0] ?? e.code}`;
      }),
    );
  }
  return doc.toJS() ?? {};
}
