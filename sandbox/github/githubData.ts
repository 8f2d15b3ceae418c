import { createHash } from 'node:crypto';

export interface SimPullRequest {
  number: number;
  title: string;
  body: string;
  branch: string;
  base: string;
  author: string;
  labels: string[];
  files: string[];
  mergedAt: Date;
  mergeCommit: string;
}

export interface SimCommit {
  oid: string;
  date: Date;
  message: string;
  /** The pull request whose merge made this commit. */
  pr: number | null;
}

export interface SimRelease {
  id: number;
  tag: string;
  /** The commitish the release was asked for (its tag's commit when the tag existed). */
  target: string;
  name: string | null;
  body: string | null;
  /** The date of the tag's commit: what GitHub calls a release's created_at. */
  commitDate: Date;
  publishedAt: Date;
}

/** A comment on an issue or pull request (they share numbers and the comments API). */
export interface SimIssueComment {
  id: number;
  issue: number;
  body: string;
  author: string;
  createdAt: Date;
}

export interface SimRepository {
  fullName: string;
  defaultBranch: string;
  /** The default branch, oldest first. */
  commits: SimCommit[];
  pullRequests: SimPullRequest[];
  /** Tag → commit. */
  tags: Map<string, string>;
  releases: SimRelease[];
  /** Comments on its pull requests, oldest first; absent in state kept before comments existed. */
  issueComments?: SimIssueComment[];
}

/** A small deterministic PRNG (mulberry32), seeded from a string, so demo data never changes. */
function random(seed: string): () => number {
  let a = createHash('sha256').update(seed).digest().readUInt32LE(0);
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function sha(text: string): string {
  return createHash('sha1').update(text).digest('hex');
}

const CHANGES: { type: string; label?: string; text: string }[] = [
  { type: 'feat', label: 'feature', text: 'add CSV export to the orders report' },
  { type: 'fix', label: 'bug', text: 'stop double-counting refunds in daily totals' },
  { type: 'feat', text: 'show the freshness of each dataset on its page' },
  { type: 'perf', label: 'performance', text: 'speed up the nightly aggregation by caching lookups' },
  { type: 'chore', label: 'dependencies', text: 'bump pg from 8.11 to 8.12' },
  { type: 'fix', text: 'handle empty partitions when backfilling' },
  { type: 'docs', text: 'explain the retention settings' },
  { type: 'feat', label: 'enhancement', text: 'let teams choose their alert channel' },
  { type: 'refactor', text: 'split the ingestion worker into smaller steps' },
  { type: 'fix', label: 'bug', text: 'keep time zones when exporting timestamps' },
  { type: 'ci', text: 'run the integration tests on every pull request' },
  { type: 'feat', text: 'add a retry button to failed imports' },
];

const AUTHORS = ['ada-l', 'grace-h', 'linus-t', 'margaret-h', 'ken-t'];

export interface GenerateOptions {
  /** How many merged pull requests. */
  count: number;
  /** When the first was merged; the others follow every `spacingMs`. */
  start: Date;
  spacingMs: number;
  /** Jira project used in keys (in titles, branches or bodies; some pull requests have none). */
  jiraProject?: string;
  /** Folders of a monorepo; each pull request changes files under one of them. */
  folders?: string[];
  /** Numbers start after this (a repository with history). */
  firstNumber?: number;
}

/** Merged pull requests with realistic titles, labels, branches, bodies and files. */
export function generatePullRequests(fullName: string, options: GenerateOptions): SimPullRequest[] {
  const rand = random(fullName);
  const project = options.jiraProject ?? 'DATA';
  const folders = options.folders?.length ? options.folders : ['src'];
  const out: SimPullRequest[] = [];
  for (let i = 0; i < options.count; i++) {
    const number = (options.firstNumber ?? 100) + i + 1;
    const change = CHANGES[Math.floor(rand() * CHANGES.length)] ?? (CHANGES[0] as (typeof CHANGES)[number]);
    const key = `${project}-${200 + Math.floor(rand() * 800)}`;
    const where = Math.floor(rand() * 4); // 0 title, 1 branch, 2 body, 3 none
    const folder = folders[Math.floor(rand() * folders.length)] ?? 'src';
    const slug = change.text.split(' ').slice(0, 3).join('-');
    const title = `${change.type}: ${where === 0 ? `[${key}] ` : ''}${change.text}`;
    const branch = `${change.type}/${where === 1 ? `${key.toLowerCase()}-` : ''}${slug}`;
    const body = `${change.text.charAt(0).toUpperCase()}${change.text.slice(1)}.\n\n${where === 2 ? `Closes ${key}.` : 'No ticket: small change.'}`;
    const fileCount = 1 + Math.floor(rand() * 4);
    const files = Array.from(
      { length: fileCount },
      (_, f) => `${folder}/${slug}/${f === 0 ? 'index' : `part${f}`}.ts`,
    );
    out.push({
      number,
      title,
      body,
      branch,
      base: 'main',
      author: AUTHORS[Math.floor(rand() * AUTHORS.length)] ?? 'ada-l',
      labels: change.label ? [change.label] : [],
      files,
      mergedAt: new Date(options.start.getTime() + i * options.spacingMs),
      mergeCommit: sha(`${fullName}#${number}`),
    });
  }
  return out;
}

/** A repository whose default branch is the merge commits of its pull requests, after a root commit. */
export function buildRepository(
  fullName: string,
  pullRequests: SimPullRequest[],
  root: Date = new Date((pullRequests[0]?.mergedAt.getTime() ?? Date.now()) - 86_400_000),
): SimRepository {
  const commits: SimCommit[] = [
    { oid: sha(`${fullName}@root`), date: root, message: 'Initial commit', pr: null },
  ];
  for (const pr of [...pullRequests].sort((a, b) => a.mergedAt.getTime() - b.mergedAt.getTime()))
    commits.push({
      oid: pr.mergeCommit,
      date: pr.mergedAt,
      message: `Merge pull request #${pr.number}`,
      pr: pr.number,
    });
  return {
    fullName,
    defaultBranch: 'main',
    commits,
    pullRequests: [...pullRequests],
    tags: new Map(),
    releases: [],
  };
}

export interface SimGithubMember {
  login: string;
  name?: string;
  /** E-mails on the organization's verified domains. */
  verifiedEmails?: string[];
}

export interface SimTeam {
  slug: string;
  name?: string;
  /** The parent team's slug. */
  parent?: string;
  /** Direct members (logins); child teams' members are added when listing, as GitHub does. */
  members: string[];
}

/** One organization: its members and its teams. */
export interface GithubTeamsData {
  org: string;
  members: SimGithubMember[];
  teams: SimTeam[];
}
