import { readFile } from 'node:fs/promises';
import { extname } from 'node:path';
import { parse as parseCsv } from 'csv-parse/sync';
import { describeIssues } from '../../../core/config/describeIssues.ts';
import { resolveConfigRelative } from '../../../core/config/relativePath.ts';
import { parseYaml } from '../../../core/config/yaml.ts';
import { ConfigError, errorMessage, UpstreamError } from '../../../core/errors.ts';
import type { FileSourceConfig } from '../config.ts';
import {
  type DirectorySnapshot,
  fileDirectorySchema,
  normaliseSnapshot,
  type SnapshotUser,
} from '../snapshot.ts';
import { type DirectorySource, type SourceDeps, TruncatedAnswerError, throwIfAborted } from './source.ts';

export type FileFormat = 'yaml' | 'json' | 'csv';

/** YAML or JSON (JSON is YAML, so one parser serves both): `{ users: [...], groups: [...] }`. */
export function parseStructuredDirectory(text: string, where: string): DirectorySnapshot {
  const parsed = fileDirectorySchema.safeParse(parseYaml(text, where) ?? {});
  if (!parsed.success) throw new ConfigError(where, describeIssues(parsed.error));
  return normaliseSnapshot({
    users: parsed.data.users.map((u) => ({
      email: u.email,
      name: u.name,
      slackUserId: u.slackId,
      active: u.active,
    })),
    groups: parsed.data.groups.map((g) => ({ id: g.id, displayName: g.name, members: g.members })),
  });
}

const GROUP_ID = /^[A-Za-z0-9._@-]+$/;
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

/**
 * CSV with a header row naming at least `group` and `email` (and optionally `name`): one row per
 * membership. A row with an empty group lists a user who is in no group.
 */
export function parseCsvDirectory(text: string, where: string): DirectorySnapshot {
  let rows: Record<string, string>[];
  try {
    rows = parseCsv(text, {
      columns: (h: string[]) => h.map((c) => c.trim().toLowerCase()),
      skip_empty_lines: true,
      trim: true,
      bom: true,
    });
  } catch (error) {
    throw new ConfigError(where, [errorMessage(error)]);
  }
  const first = rows[0];
  if (first && (!('group' in first) || !('email' in first)))
    throw new ConfigError(where, ['the header row must name the columns group,email (and optionally name)']);
  const problems: string[] = [];
  const users = new Map<string, SnapshotUser>();
  const groups = new Map<string, string[]>();
  rows.forEach((row, i) => {
    const line = i + 2;
    const email = (row.email ?? '').toLowerCase();
    const group = row.group ?? '';
    if (!EMAIL.test(email)) problems.push(`line ${line}: "${row.email ?? ''}" is not an e-mail address`);
    else if (group !== '' && !GROUP_ID.test(group))
      problems.push(`line ${line}: group "${group}": expected letters, digits, ".", "_", "@" or "-"`);
    else {
      const known = users.get(email);
      const name = row.name || known?.name;
      users.set(email, { email, name, active: true });
      if (group !== '') groups.set(group, [...(groups.get(group) ?? []), email]);
    }
  });
  if (problems.length > 0) throw new ConfigError(where, problems.slice(0, 20));
  return normaliseSnapshot({
    users: [...users.values()],
    groups: [...groups].map(([id, members]) => ({ id, members })),
  });
}

export function parseDirectory(text: string, format: FileFormat, where: string): DirectorySnapshot {
  return format === 'csv' ? parseCsvDirectory(text, where) : parseStructuredDirectory(text, where);
}

function formatOf(name: string, contentType?: string | null): FileFormat {
  if (contentType?.includes('csv')) return 'csv';
  if (contentType?.includes('json')) return 'json';
  const ext = extname(new URL(name, 'file:///').pathname).toLowerCase();
  return ext === '.csv' ? 'csv' : ext === '.json' ? 'json' : 'yaml';
}

/** Reads an http(s) answer up to `maxBytes`; a longer or shorter body than announced is refused. */
async function fetchText(
  url: string,
  maxBytes: number,
  signal: AbortSignal,
  system: string,
): Promise<{ text: string; contentType: string | null }> {
  let response: Response;
  try {
    response = await fetch(url, {
      signal,
      redirect: 'follow',
      headers: { accept: 'text/csv, application/json, application/yaml, text/plain' },
    });
  } catch (error) {
    throwIfAborted(signal, system);
    throw new UpstreamError(system, `cannot fetch ${url}: ${errorMessage(error)}`, undefined, {
      cause: error,
    });
  }
  if (!response.ok) {
    await response.body?.cancel();
    throw new UpstreamError(system, `${url} answered HTTP ${response.status}`, response.status);
  }
  const announced = Number(response.headers.get('content-length') ?? Number.NaN);
  if (announced > maxBytes) {
    await response.body?.cancel();
    throw new UpstreamError(system, `${url} is ${announced} bytes, more than maxBytes (${maxBytes})`);
  }
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    for await (const chunk of response.body ?? []) {
      size += chunk.byteLength;
      if (size > maxBytes) throw new UpstreamError(system, `${url} is larger than maxBytes (${maxBytes})`);
      chunks.push(chunk);
    }
  } catch (error) {
    if (error instanceof UpstreamError) throw error;
    throwIfAborted(signal, system);
    throw new TruncatedAnswerError(system, `the body of ${url} broke off: ${errorMessage(error)}`);
  }
  if (Number.isFinite(announced) && size !== announced)
    throw new TruncatedAnswerError(system, `${url} announced ${announced} bytes and sent ${size}`);
  return { text: Buffer.concat(chunks).toString('utf8'), contentType: response.headers.get('content-type') };
}

/** Users and groups from a YAML, JSON or CSV file, on disk or at an http(s) URL. */
export class FileDirectorySource implements DirectorySource {
  readonly name: string;
  readonly type = 'file';
  readonly describe: string;
  readonly #config: FileSourceConfig;
  readonly #path: string | undefined;

  constructor(config: FileSourceConfig, deps: Pick<SourceDeps, 'configDir'>) {
    this.name = config.name;
    this.#config = config;
    this.#path =
      config.path === undefined ? undefined : resolveConfigRelative({ baseDir: deps.configDir }, config.path);
    this.describe = this.#path ?? config.url ?? '';
  }

  static fromConfig(config: FileSourceConfig, deps: SourceDeps): FileDirectorySource {
    return new FileDirectorySource(config, deps);
  }

  async fetch(signal: AbortSignal): Promise<DirectorySnapshot> {
    const system = `directory file (${this.name})`;
    if (this.#path !== undefined) {
      const path = this.#path;
      let text: string;
      try {
        text = await readFile(path, { encoding: 'utf8', signal });
      } catch (error) {
        throwIfAborted(signal, system);
        throw new UpstreamError(system, `cannot read ${path}: ${errorMessage(error)}`, undefined, {
          cause: error,
        });
      }
      return parseDirectory(text, this.#config.format ?? formatOf(path), path);
    }
    const url = this.#config.url ?? '';
    const { text, contentType } = await fetchText(url, this.#config.maxBytes, signal, system);
    return parseDirectory(text, this.#config.format ?? formatOf(url, contentType), url);
  }
}
