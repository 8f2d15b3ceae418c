import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { validate } from '@octokit/graphql-schema';
import { parse } from 'graphql';
import { describe, expect, it } from 'vitest';
import { InputError } from '../../core/errors.ts';
import { projectRoot } from '../../core/paths.ts';
import { mergedSearchQuery } from '../../integrations/github/githubClient.ts';
import * as queries from '../../integrations/github/queries.ts';

/** Every GraphQL document dpbot sends: the exported constants of queries.ts, found, not listed. */
const documents = Object.entries(queries as Record<string, unknown>).filter(
  (e): e is [string, string] => typeof e[1] === 'string',
);

const PRODUCT = ['core', 'db', 'integrations', 'policies', 'pipeline', 'handlers', 'bot', 'app'];

function sourcesOf(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sourcesOf(path);
    return path.endsWith('.ts') ? [path] : [];
  });
}

describe("GitHub's published GraphQL schema (@octokit/graphql-schema)", () => {
  it('finds every query dpbot has', () => {
    expect(documents.map(([name]) => name).sort()).toEqual([
      'MERGED_PULL_REQUESTS_QUERY',
      'ORG_MEMBER_EMAILS_QUERY',
      'PULL_REQUEST_FILES_QUERY',
      'RESOLVE_COMMIT_QUERY',
      'TEAM_MEMBER_COUNTS_QUERY',
    ]);
  });

  it.each(documents)('accepts %s', (_name, document) => {
    expect(validate(document).map((e) => e.message)).toEqual([]);
  });

  it('is a judge that can say no', () => {
    const wrong =
      'query DpbotWrong($org: String!) { organization(login: $org) { teams(first: 200) { nodez { slug } } } }';
    expect(validate(wrong).map((e) => e.message)).toEqual([
      'Cannot query field "nodez" on type "TeamConnection". Did you mean "nodes"?',
    ]);
  });

  it('names every operation once, Dpbot…, as the simulator tells them apart', () => {
    const names = documents.map(([, document]) => {
      const [operation] = parse(document).definitions;
      return operation?.kind === 'OperationDefinition' ? operation.name?.value : undefined;
    });
    expect(names.every((n) => n?.startsWith('Dpbot'))).toBe(true);
    expect(new Set(names).size).toBe(documents.length);
  });

  it('has no GraphQL written anywhere else in the product, so none escapes this check', () => {
    const root = projectRoot();
    const elsewhere = PRODUCT.flatMap((dir) => sourcesOf(join(root, dir)))
      .filter((path) => !path.endsWith(join('integrations', 'github', 'queries.ts')))
      .filter((path) => {
        const text = readFileSync(path, 'utf8');
        return /\b(query|mutation)\s+\w+\s*[({]/.test(text) || /\.graphql(<[^>]*>)?\(\s*`/.test(text);
      })
      .map((path) => relative(root, path));
    expect(elsewhere).toEqual([]);
  });
});

describe("GitHub's search syntax (docs: searching issues and pull requests)", () => {
  const since = new Date('2026-11-25T09:30:00.123Z');

  it('asks for merged pull requests into the branch, since the moment to the second, in a stable order', () => {
    expect(mergedSearchQuery({ repository: 'acme/orders-api', branch: 'release/2026-11', since })).toBe(
      'repo:acme/orders-api is:pr is:merged base:release/2026-11 merged:>=2026-11-25T09:30:00Z sort:created-asc',
    );
  });

  it('uses only documented qualifiers and values', () => {
    const q = mergedSearchQuery({ repository: 'acme/orders-api', branch: 'main', since });
    const qualifiers = q.split(' ').map((token) => {
      const at = token.indexOf(':');
      return [token.slice(0, at), token.slice(at + 1)] as const;
    });
    for (const [key, value] of qualifiers) {
      if (key === 'repo') expect(value).toMatch(/^[A-Za-z0-9-]{1,39}\/[A-Za-z0-9._-]{1,100}$/);
      else if (key === 'is') expect(['pr', 'merged']).toContain(value);
      else if (key === 'base') expect(value).toBe('main');
      // A date, or a date and time in ISO 8601 with an offset (Z); >= for "on or after".
      else if (key === 'merged')
        expect(value).toMatch(/^>=\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}:\d{2}(Z|[+-]\d{2}:\d{2}))?$/);
      else if (key === 'sort')
        expect(['created-asc', 'created-desc', 'updated-asc', 'updated-desc']).toContain(value);
      else expect.unreachable(`undocumented qualifier ${key}`);
    }
  });

  it('refuses, before asking GitHub, a search longer than the 256 characters GitHub takes', () => {
    const branch = `release/${'x'.repeat(200)}`;
    expect(() => mergedSearchQuery({ repository: 'acme/orders-api', branch, since })).toThrow(InputError);
    expect(() => mergedSearchQuery({ repository: 'acme/orders-api', branch, since })).toThrow(
      /GitHub's search takes at most 256 characters/,
    );
  });
});
