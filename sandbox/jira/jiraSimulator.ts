// Whole: every endpoint (issues, JQL, versions, comments, transitions) works on one set of issues.
import { type SimRequest, type SimResponse, Simulator } from '../http.ts';

export interface SimProject {
  id: string;
  key: string;
  name: string;
}

export interface SimComment {
  id: string;
  /** ADF as received (v3), or a paragraph made from the wiki text (v2). */
  body: Record<string, unknown>;
  created: string;
}

export interface SimIssue {
  id: string;
  key: string;
  project: string;
  summary: string;
  description: Record<string, unknown> | null;
  issueType: string;
  status: string;
  labels: string[];
  /** Version ids. */
  fixVersions: string[];
  comments: SimComment[];
  created: string;
  updated: string;
}

/** What a restart of the sandbox keeps. */
export interface JiraSnapshot {
  issues: SimIssue[];
  versions: SimVersion[];
  seq: { issue: number; version: number; comment: number };
}

export interface SimVersion {
  id: string;
  projectId: number;
  name: string;
  description?: string;
  released: boolean;
  archived: boolean;
  releaseDate?: string;
}

export interface JiraSimulatorOptions {
  /** Basic auth: this e-mail with `token`; without an e-mail the token is a bearer token. */
  email?: string;
  token?: string;
  projects?: readonly SimProject[];
  /** Projects the account may read but not change (403 on create, edit and comment). */
  readOnlyProjects?: readonly string[];
  /**
   * Project permissions the account lacks, `<PERMISSION> <project key>` (`CREATE_ISSUES DP`,
   * `ADMINISTER_PROJECTS *`): what /rest/api/3/mypermissions answers `havePermission: false` for.
   */
  deniedPermissions?: readonly string[];
  now?: () => Date;
}

const jiraError = (status: number, messages: string[], errors: Record<string, string> = {}): SimResponse => ({
  status,
  body: { errorMessages: messages, errors },
});

const textDoc = (text: string): Record<string, unknown> => ({
  type: 'doc',
  version: 1,
  content: [{ type: 'paragraph', content: text ? [{ type: 'text', text }] : [] }],
});

const isDoc = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' &&
  v !== null &&
  (v as { type?: unknown }).type === 'doc' &&
  Array.isArray((v as { content?: unknown }).content);

const ACCOUNT = {
  accountId: '5b10ac8d82e05b22cc7d4ef5',
  accountType: 'atlassian',
  displayName: 'dpbot',
  active: true,
  timeZone: 'UTC',
};

/**
 * A loopback Jira Cloud: what jira.js calls for dpbot's tasks and releases — create, read and
 * edit issues (fix versions), comments (v3 ADF and v2 wiki text), JQL search (POST and GET
 * /rest/api/3/search/jql with nextPageToken), versions — with Jira's error bodies for 400, 401,
 * 403 and 404. 429 with Retry-After and 5xx come from the harness's fault injection.
 */
export class JiraSimulator {
  readonly sim: Simulator;
  readonly #issues = new Map<string, SimIssue>();
  readonly #versions = new Map<string, SimVersion>();
  readonly #projects: SimProject[];
  readonly #options: JiraSimulatorOptions;
  readonly #denied: Set<string>;
  readonly #now: () => Date;
  #issueSeq = 10000;
  #versionSeq = 10000;
  #commentSeq = 10000;

  constructor(options: JiraSimulatorOptions = {}) {
    this.#options = options;
    this.#denied = new Set(options.deniedPermissions ?? []);
    this.#now = options.now ?? (() => new Date());
    this.#projects = [...(options.projects ?? [{ id: '10000', key: 'DP', name: 'Data Platform' }])];
    const guard =
      (handler: (req: SimRequest) => SimResponse) =>
      (req: SimRequest): SimResponse =>
        this.#authenticate(req) ?? handler(req);
    this.sim = new Simulator('jira')
      .route(
        'POST',
        '/rest/api/3/issue',
        guard((r) => this.#createIssue(r, 3)),
      )
      .route(
        'POST',
        '/rest/api/2/issue',
        guard((r) => this.#createIssue(r, 2)),
      )
      .route(
        'GET',
        '/rest/api/3/issue/:key',
        guard((r) => this.#getIssue(r)),
      )
      .route(
        'PUT',
        '/rest/api/3/issue/:key',
        guard((r) => this.#editIssue(r)),
      )
      .route(
        'GET',
        '/rest/api/3/issue/:key/comment',
        guard((r) => this.#listComments(r)),
      )
      .route(
        'POST',
        '/rest/api/3/issue/:key/comment',
        guard((r) => this.#addComment(r, 3)),
      )
      .route(
        'POST',
        '/rest/api/2/issue/:key/comment',
        guard((r) => this.#addComment(r, 2)),
      )
      .route(
        'GET',
        '/rest/api/3/issue/:key/comment/:id',
        guard((r) => this.#getComment(r)),
      )
      .route(
        'POST',
        '/rest/api/3/search/jql',
        guard((r) => this.#search(r, r.body as Record<string, unknown>)),
      )
      .route(
        'GET',
        '/rest/api/3/search/jql',
        guard((r) => this.#search(r, this.#queryBody(r))),
      )
      .route(
        'POST',
        '/rest/api/3/version',
        guard((r) => this.#createVersion(r)),
      )
      .route(
        'GET',
        '/rest/api/3/version/:id',
        guard((r) => this.#getVersion(r)),
      )
      .route(
        'PUT',
        '/rest/api/3/version/:id',
        guard((r) => this.#updateVersion(r)),
      )
      .route(
        'GET',
        '/rest/api/3/project/:key/versions',
        guard((r) => this.#projectVersions(r)),
      )
      .route(
        'GET',
        '/rest/api/3/project/:key/version',
        guard((r) => this.#projectVersionsPage(r)),
      )
      .route(
        'GET',
        '/rest/api/3/project/:key',
        guard((r) => this.#getProject(r)),
      )
      .route(
        'GET',
        '/rest/api/3/mypermissions',
        guard((r) => this.#myPermissions(r)),
      )
      // What browse links open in the sandbox: the issue as plain text.
      .route('GET', '/browse/:key', (r) => this.#browse(r));
  }

  get url(): string {
    return this.sim.url;
  }

  /** Takes a project permission from the account from now on (see deniedPermissions). */
  denyPermission(permission: string, project = '*'): this {
    this.#denied.add(`${permission} ${project}`);
    return this;
  }

  /**
   * GET /rest/api/3/mypermissions: each asked permission with `havePermission`, in the context of
   * `projectKey`; Jira answers 400 when `permissions` is missing and 404 for an unknown project.
   */
  #myPermissions(req: SimRequest): SimResponse {
    const asked = (req.query.get('permissions') ?? '').split(',').filter(Boolean);
    if (asked.length === 0) return jiraError(400, ['The permissions query parameter is required.']);
    const key = req.query.get('projectKey');
    if (key && !this.#projects.some((p) => p.key === key))
      return jiraError(404, [`No project could be found with key '${key}'.`]);
    const permissions: Record<string, unknown> = {};
    for (const permission of asked) {
      const have =
        !this.#denied.has(`${permission} *`) && !(key !== null && this.#denied.has(`${permission} ${key}`));
      permissions[permission] = {
        id: String(10 + Object.keys(permissions).length),
        key: permission,
        name: permission
          .toLowerCase()
          .split('_')
          .map((w) => w.charAt(0).toUpperCase() + w.slice(1))
          .join(' '),
        type: 'PROJECT',
        description: `Permission ${permission}`,
        havePermission: have,
      };
    }
    return { body: { permissions } };
  }

  start(port = 0): Promise<string> {
    return this.sim.start(port);
  }

  stop(): Promise<void> {
    return this.sim.stop();
  }

  /** Adds an existing issue (demo data, test setup); `number` picks its key (`DATA-345`). */
  addIssue(input: {
    project: string;
    summary: string;
    status?: string;
    labels?: string[];
    number?: number;
  }): SimIssue {
    return this.#newIssue(
      input.project,
      input.summary,
      null,
      'Task',
      input.labels ?? [],
      input.status ?? 'To Do',
      input.number,
    );
  }

  /** Adds an existing version (a release manager planned it ahead), with these issues in it. */
  addVersion(input: { project: string; name: string; released?: boolean; issues?: string[] }): SimVersion {
    const project = this.#projects.find((p) => p.key === input.project);
    if (!project) throw new Error(`no project ${input.project}`);
    const v: SimVersion = {
      id: String(++this.#versionSeq),
      projectId: Number(project.id),
      name: input.name,
      released: input.released ?? false,
      archived: false,
    };
    this.#versions.set(v.id, v);
    for (const key of input.issues ?? []) this.#issues.get(key)?.fixVersions.push(v.id);
    return v;
  }

  issue(key: string): SimIssue | undefined {
    return this.#issues.get(key);
  }

  issues(): SimIssue[] {
    return [...this.#issues.values()];
  }

  versions(): SimVersion[] {
    return [...this.#versions.values()];
  }

  #browse(req: SimRequest): SimResponse {
    const issue = this.#findIssue(req.params.key ?? '');
    if (!issue) return { status: 404, text: 'No such issue in the sandbox.\n' };
    const lines = [
      `${issue.key}: ${issue.summary} [${issue.status}]`,
      ...issue.comments.map((c) => `--- comment ${c.id} at ${c.created}\n${JSON.stringify(c.body)}`),
    ];
    return { text: `${lines.join('\n')}\n` };
  }

  #authenticate(req: SimRequest): SimResponse | undefined {
    const { email, token } = this.#options;
    if (!token) return undefined;
    const expected = email
      ? `Basic ${Buffer.from(`${email}:${token}`).toString('base64')}`
      : `Bearer ${token}`;
    if (req.headers.authorization === expected) return undefined;
    return jiraError(401, ['You are not authenticated. Authentication required to perform this operation.']);
  }

  #self(path: string): string {
    return `${this.sim.url}${path}`;
  }

  #project(ref: { key?: unknown; id?: unknown } | undefined): SimProject | undefined {
    if (!ref) return undefined;
    return this.#projects.find((p) => p.key === ref.key || p.id === String(ref.id ?? ''));
  }

  #readOnly(projectKey: string): boolean {
    return this.#options.readOnlyProjects?.includes(projectKey) ?? false;
  }

  #newIssue(
    project: string,
    summary: string,
    description: Record<string, unknown> | null,
    issueType: string,
    labels: string[],
    status = 'To Do',
    wanted?: number,
  ): SimIssue {
    const p = this.#projects.find((x) => x.key === project);
    if (!p) throw new Error(`no project ${project}`);
    const taken = [...this.#issues.values()]
      .filter((i) => i.project === project)
      .map((i) => Number(i.key.slice(project.length + 1)));
    if (wanted !== undefined && taken.includes(wanted)) throw new Error(`${project}-${wanted} exists`);
    const number = wanted ?? Math.max(0, ...taken) + 1;
    const now = this.#now().toISOString();
    const issue: SimIssue = {
      id: String(++this.#issueSeq),
      key: `${project}-${number}`,
      project,
      summary,
      description,
      issueType,
      status,
      labels,
      fixVersions: [],
      comments: [],
      created: now,
      updated: now,
    };
    this.#issues.set(issue.key, issue);
    return issue;
  }

  /** Issues (comments, fix versions) and versions as they are now, for a later simulator to take over. */
  snapshot(): JiraSnapshot {
    return structuredClone({
      issues: [...this.#issues.values()],
      versions: [...this.#versions.values()],
      seq: { issue: this.#issueSeq, version: this.#versionSeq, comment: this.#commentSeq },
    });
  }

  /** Puts a snapshot's issues and versions in place of the seeded ones with the same key or id. */
  restore(snapshot: JiraSnapshot): this {
    const kept = structuredClone(snapshot);
    for (const issue of kept.issues) this.#issues.set(issue.key, issue);
    for (const version of kept.versions) this.#versions.set(version.id, version);
    this.#issueSeq = Math.max(this.#issueSeq, kept.seq.issue);
    this.#versionSeq = Math.max(this.#versionSeq, kept.seq.version);
    this.#commentSeq = Math.max(this.#commentSeq, kept.seq.comment);
    return this;
  }

  #findIssue(keyOrId: string): SimIssue | undefined {
    return this.#issues.get(keyOrId) ?? [...this.#issues.values()].find((i) => i.id === keyOrId);
  }

  #notFound(): SimResponse {
    return jiraError(404, ['Issue does not exist or you do not have permission to see it.']);
  }

  #createIssue(req: SimRequest, version: 2 | 3): SimResponse {
    const fields = ((req.body as { fields?: Record<string, unknown> } | undefined)?.fields ?? {}) as Record<
      string,
      unknown
    >;
    const project = this.#project(fields.project as { key?: unknown; id?: unknown } | undefined);
    if (!project) return jiraError(400, [], { project: 'valid project is required' });
    if (this.#readOnly(project.key))
      return jiraError(403, ['You do not have permission to create issues in this project.']);
    if (typeof fields.summary !== 'string' || fields.summary.trim() === '')
      return jiraError(400, [], { summary: 'You must specify a summary of the issue.' });
    if (fields.summary.length > 255)
      return jiraError(400, [], { summary: 'Summary must be less than 255 characters.' });
    const issueType = (fields.issuetype as { name?: unknown } | undefined)?.name;
    if (typeof issueType !== 'string') return jiraError(400, [], { issuetype: 'Specify an issue type' });
    let description: Record<string, unknown> | null = null;
    if (fields.description !== undefined && fields.description !== null) {
      if (version === 3 && !isDoc(fields.description))
        return jiraError(400, [], {
          description: 'Operation value must be an Atlassian Document (see the Atlassian Document Format)',
        });
      description =
        version === 3 ? (fields.description as Record<string, unknown>) : textDoc(String(fields.description));
    }
    const labels = Array.isArray(fields.labels) ? fields.labels.map(String) : [];
    const issue = this.#newIssue(project.key, fields.summary, description, issueType, labels);
    return {
      status: 201,
      body: { id: issue.id, key: issue.key, self: this.#self(`/rest/api/3/issue/${issue.id}`) },
    };
  }

  #renderIssue(issue: SimIssue, wanted?: readonly string[]): Record<string, unknown> {
    const project = this.#projects.find((p) => p.key === issue.project);
    const all: Record<string, unknown> = {
      summary: issue.summary,
      description: issue.description,
      issuetype: { name: issue.issueType, subtask: false },
      project: project ? { id: project.id, key: project.key, name: project.name } : null,
      status: { name: issue.status, statusCategory: { key: issue.status === 'Done' ? 'done' : 'new' } },
      labels: issue.labels,
      fixVersions: issue.fixVersions.flatMap((id) => {
        const v = this.#versions.get(id);
        return v
          ? [
              {
                id: v.id,
                name: v.name,
                released: v.released,
                archived: v.archived,
                self: this.#self(`/rest/api/3/version/${v.id}`),
              },
            ]
          : [];
      }),
      created: issue.created,
      updated: issue.updated,
    };
    const all_ = !wanted || wanted.length === 0 || wanted.some((f) => f === '*all' || f === '*navigable');
    const fields = all_ ? all : Object.fromEntries(Object.entries(all).filter(([k]) => wanted.includes(k)));
    return {
      expand: '',
      id: issue.id,
      key: issue.key,
      self: this.#self(`/rest/api/3/issue/${issue.id}`),
      fields,
    };
  }

  #getIssue(req: SimRequest): SimResponse {
    const issue = this.#findIssue(req.params.key ?? '');
    if (!issue) return this.#notFound();
    const fields = req.query
      .getAll('fields')
      .flatMap((f) => f.split(','))
      .filter(Boolean);
    return { body: this.#renderIssue(issue, fields) };
  }

  #versionByRef(ref: unknown, projectKey: string): SimVersion | undefined {
    const project = this.#projects.find((p) => p.key === projectKey);
    const r = (ref ?? {}) as { id?: unknown; name?: unknown };
    return [...this.#versions.values()].find(
      (v) => v.projectId === Number(project?.id) && (v.id === String(r.id ?? '') || v.name === r.name),
    );
  }

  #editIssue(req: SimRequest): SimResponse {
    const issue = this.#findIssue(req.params.key ?? '');
    if (!issue) return this.#notFound();
    if (this.#readOnly(issue.project))
      return jiraError(403, ['You do not have permission to edit issues in this project.']);
    const body = (req.body ?? {}) as { fields?: Record<string, unknown>; update?: Record<string, unknown> };
    const versions = new Set(issue.fixVersions);
    let invalid: unknown;
    const resolve = (ref: unknown): string | undefined => {
      const v = this.#versionByRef(ref, issue.project);
      if (!v) invalid ??= ref;
      return v?.id;
    };
    const fixVersions = body.fields?.fixVersions;
    if (Array.isArray(fixVersions)) {
      versions.clear();
      for (const ref of fixVersions) {
        const id = resolve(ref);
        if (id) versions.add(id);
      }
    }
    const ops = body.update?.fixVersions;
    if (Array.isArray(ops)) {
      for (const op of ops as Record<string, unknown>[]) {
        for (const [verb, arg] of Object.entries(op)) {
          if (verb === 'set') {
            versions.clear();
            for (const ref of Array.isArray(arg) ? arg : []) {
              const id = resolve(ref);
              if (id) versions.add(id);
            }
          } else if (verb === 'add' || verb === 'remove') {
            const id = resolve(arg);
            if (id && verb === 'add') versions.add(id);
            if (id && verb === 'remove') versions.delete(id);
          } else return jiraError(400, [], { fixVersions: `Operation '${verb}' is not supported` });
        }
      }
    }
    if (invalid !== undefined) {
      const ref = invalid as { name?: unknown; id?: unknown } | null;
      return jiraError(400, [], {
        fixVersions: `Version name '${String(ref?.name ?? ref?.id)}' is not valid`,
      });
    }
    if (body.fields?.summary !== undefined) issue.summary = String(body.fields.summary);
    if (Array.isArray(body.fields?.labels)) issue.labels = body.fields.labels.map(String);
    const labelOps = body.update?.labels;
    if (Array.isArray(labelOps)) {
      for (const op of labelOps as Record<string, unknown>[]) {
        if (typeof op.add === 'string' && !issue.labels.includes(op.add)) issue.labels.push(op.add);
        if (typeof op.remove === 'string') issue.labels = issue.labels.filter((l) => l !== op.remove);
      }
    }
    issue.fixVersions = [...versions];
    issue.updated = this.#now().toISOString();
    return { status: 204 };
  }

  #renderComment(issue: SimIssue, c: SimComment): Record<string, unknown> {
    return {
      id: c.id,
      self: this.#self(`/rest/api/3/issue/${issue.id}/comment/${c.id}`),
      author: ACCOUNT,
      updateAuthor: ACCOUNT,
      body: c.body,
      created: c.created,
      updated: c.created,
      jsdPublic: true,
    };
  }

  #addComment(req: SimRequest, version: 2 | 3): SimResponse {
    const issue = this.#findIssue(req.params.key ?? '');
    if (!issue) return this.#notFound();
    if (this.#readOnly(issue.project))
      return jiraError(403, ['You do not have permission to add comments to this issue.']);
    const raw = (req.body as { body?: unknown } | undefined)?.body;
    if (version === 3 && !isDoc(raw))
      return jiraError(400, [], { comment: 'Comment body is not a valid Atlassian Document' });
    if (version === 2 && (typeof raw !== 'string' || raw.trim() === ''))
      return jiraError(400, [], { comment: 'Comment body can not be empty!' });
    const body = version === 3 ? (raw as Record<string, unknown>) : textDoc(String(raw));
    if (version === 3 && JSON.stringify(body).length > 32_767)
      return jiraError(400, [], {
        comment: 'The entered text is too long. It exceeds the allowed limit of 32,767 characters.',
      });
    const comment: SimComment = { id: String(++this.#commentSeq), body, created: this.#now().toISOString() };
    issue.comments.push(comment);
    return { status: 201, body: this.#renderComment(issue, comment) };
  }

  #getComment(req: SimRequest): SimResponse {
    const issue = this.#findIssue(req.params.key ?? '');
    const comment = issue?.comments.find((c) => c.id === req.params.id);
    if (!issue || !comment) return jiraError(404, ['Can not find a comment for the specified id.']);
    return { body: this.#renderComment(issue, comment) };
  }

  #listComments(req: SimRequest): SimResponse {
    const issue = this.#findIssue(req.params.key ?? '');
    if (!issue) return this.#notFound();
    return {
      body: {
        startAt: 0,
        maxResults: 5000,
        total: issue.comments.length,
        comments: issue.comments.map((c) => this.#renderComment(issue, c)),
      },
    };
  }

  #queryBody(req: SimRequest): Record<string, unknown> {
    return {
      jql: req.query.get('jql') ?? '',
      maxResults: req.query.get('maxResults') ?? undefined,
      nextPageToken: req.query.get('nextPageToken') ?? undefined,
      fields: req.query.getAll('fields').flatMap((f) => f.split(',')),
    };
  }

  #search(_req: SimRequest, body: Record<string, unknown> | undefined): SimResponse {
    const jql = String(body?.jql ?? '');
    const filter = this.#compileJql(jql);
    if (Array.isArray(filter)) return jiraError(400, filter);
    const max = Math.min(Math.max(Number(body?.maxResults ?? 50) || 50, 1), 100);
    const offset = body?.nextPageToken
      ? Number(Buffer.from(String(body.nextPageToken), 'base64url').toString())
      : 0;
    if (!Number.isInteger(offset) || offset < 0) return jiraError(400, ['The nextPageToken is not valid.']);
    const matching = [...this.#issues.values()].filter(filter).sort((a, b) => Number(b.id) - Number(a.id));
    const page = matching.slice(offset, offset + max);
    const isLast = offset + max >= matching.length;
    const fields = Array.isArray(body?.fields) ? (body.fields as unknown[]).map(String) : undefined;
    return {
      body: {
        issues: page.map((i) => this.#renderIssue(i, fields)),
        isLast,
        ...(isLast ? {} : { nextPageToken: Buffer.from(String(offset + max)).toString('base64url') }),
      },
    };
  }

  /**
   * A small JQL: clauses joined by AND, ORDER BY ignored. Returns Jira's error messages when the
   * query cannot run — as Jira does, naming every issue key or version that does not exist (Jira
   * answers 400 for `key in (A-1, B-2)` when B-2 does not exist, rather than leaving it out).
   */
  #compileJql(jql: string): ((issue: SimIssue) => boolean) | string[] {
    const where = jql.replace(/\s+order\s+by\s+.*$/i, '').trim();
    if (where === '') return () => true;
    const unquote = (s: string) =>
      s
        .trim()
        .replace(/^"(.*)"$/, '$1')
        .replace(/^'(.*)'$/, '$1');
    const list = (s: string) =>
      s
        .replace(/^\(|\)$/g, '')
        .split(',')
        .map(unquote)
        .filter(Boolean);
    const clauses = where.split(/\s+and\s+/i);
    const tests: ((issue: SimIssue) => boolean)[] = [];
    const problems: string[] = [];
    for (const clause of clauses) {
      const m = /^(\w+)\s*(=|!=|~|\bin\b|\bnot in\b)\s*(.+)$/i.exec(clause.trim());
      if (!m) return [`Error in the JQL Query: cannot read "${clause}"`];
      const field = (m[1] ?? '').toLowerCase();
      const op = (m[2] ?? '').toLowerCase();
      const raw = m[3] ?? '';
      const values = op.includes('in') ? list(raw) : [unquote(raw)];
      const versionNames = (i: SimIssue) => i.fixVersions.map((id) => this.#versions.get(id)?.name ?? '');
      let get: (i: SimIssue) => string[];
      switch (field) {
        case 'project':
          get = (i) => [i.project];
          break;
        case 'key':
        case 'issuekey':
          for (const value of values) {
            if (!/^[A-Za-z][A-Za-z0-9_]*-\d+$|^\d+$/.test(value))
              problems.push(`The issue key '${value}' for field '${field}' is invalid.`);
            else if (!this.#findIssue(value.toUpperCase()))
              problems.push(`An issue with key '${value}' does not exist for field '${field}'.`);
          }
          get = (i) => [i.key, i.id];
          break;
        case 'fixversion':
          for (const value of values) {
            if (![...this.#versions.values()].some((v) => v.name === value || v.id === value))
              problems.push(`The value '${value}' does not exist for the field '${m[1]}'.`);
          }
          get = (i) => [...versionNames(i), ...i.fixVersions];
          break;
        case 'status':
          get = (i) => [i.status];
          break;
        case 'labels':
          get = (i) => i.labels;
          break;
        case 'summary':
        case 'text':
          get = (i) => [i.summary];
          break;
        default:
          return [
            `Error in the JQL Query: the field '${m[1]}' does not exist or you do not have permission to view it`,
          ];
      }
      const hit = (i: SimIssue) =>
        op === '~'
          ? get(i).some((v) => v.toLowerCase().includes((values[0] ?? '').toLowerCase()))
          : get(i).some((v) => values.some((w) => w.toLowerCase() === v.toLowerCase()));
      tests.push(op === '!=' || op === 'not in' ? (i) => !hit(i) : hit);
    }
    if (problems.length > 0) return problems;
    return (issue) => tests.every((t) => t(issue));
  }

  #renderVersion(v: SimVersion): Record<string, unknown> {
    return {
      self: this.#self(`/rest/api/3/version/${v.id}`),
      id: v.id,
      name: v.name,
      archived: v.archived,
      released: v.released,
      projectId: v.projectId,
      ...(v.description !== undefined ? { description: v.description } : {}),
      ...(v.releaseDate !== undefined ? { releaseDate: v.releaseDate } : {}),
    };
  }

  #createVersion(req: SimRequest): SimResponse {
    const body = (req.body ?? {}) as Record<string, unknown>;
    const project =
      body.projectId !== undefined
        ? this.#projects.find((p) => p.id === String(body.projectId))
        : this.#projects.find((p) => p.key === body.project);
    if (!project) return jiraError(404, ['No project could be found with id or key given.']);
    if (this.#readOnly(project.key))
      return jiraError(403, ['You do not have permission to administer this project.']);
    const name = typeof body.name === 'string' ? body.name.trim() : '';
    if (!name) return jiraError(400, [], { name: 'You must specify a valid version name' });
    if (name.length > 255)
      return jiraError(400, [], { name: 'The version name must be less than 255 characters.' });
    if ([...this.#versions.values()].some((v) => v.projectId === Number(project.id) && v.name === name))
      return jiraError(400, [], { name: 'A version with this name already exists in this project.' });
    const v: SimVersion = {
      id: String(++this.#versionSeq),
      projectId: Number(project.id),
      name,
      released: body.released === true,
      archived: body.archived === true,
      ...(typeof body.description === 'string' ? { description: body.description } : {}),
      ...(typeof body.releaseDate === 'string' ? { releaseDate: body.releaseDate } : {}),
    };
    this.#versions.set(v.id, v);
    return { status: 201, body: this.#renderVersion(v) };
  }

  #getVersion(req: SimRequest): SimResponse {
    const v = this.#versions.get(req.params.id ?? '');
    return v
      ? { body: this.#renderVersion(v) }
      : jiraError(404, [`Could not find version for id '${req.params.id ?? ''}'`]);
  }

  #updateVersion(req: SimRequest): SimResponse {
    const v = this.#versions.get(req.params.id ?? '');
    if (!v) return jiraError(404, [`Could not find version for id '${req.params.id ?? ''}'`]);
    const body = (req.body ?? {}) as Record<string, unknown>;
    if (typeof body.name === 'string') v.name = body.name;
    if (typeof body.description === 'string') v.description = body.description;
    if (typeof body.released === 'boolean') v.released = body.released;
    if (typeof body.archived === 'boolean') v.archived = body.archived;
    if (typeof body.releaseDate === 'string') v.releaseDate = body.releaseDate;
    return { body: this.#renderVersion(v) };
  }

  #getProject(req: SimRequest): SimResponse {
    const project = this.#projects.find((p) => p.key === req.params.key || p.id === req.params.key);
    if (!project) return jiraError(404, [`No project could be found with key '${req.params.key ?? ''}'.`]);
    return {
      body: {
        self: this.#self(`/rest/api/3/project/${project.id}`),
        id: project.id,
        key: project.key,
        name: project.name,
        projectTypeKey: 'software',
        simplified: false,
        style: 'classic',
        isPrivate: false,
      },
    };
  }

  /** GET /rest/api/3/project/{key}/version: one page, filtered by `query` (name or description, any case). */
  #projectVersionsPage(req: SimRequest): SimResponse {
    const project = this.#projects.find((p) => p.key === req.params.key || p.id === req.params.key);
    if (!project) return jiraError(404, [`No project could be found with key '${req.params.key ?? ''}'.`]);
    const query = (req.query.get('query') ?? '').toLowerCase();
    const startAt = Math.max(0, Number(req.query.get('startAt') ?? 0) || 0);
    const maxResults = Math.min(Math.max(Number(req.query.get('maxResults') ?? 50) || 50, 1), 50);
    const all = [...this.#versions.values()].filter(
      (v) =>
        v.projectId === Number(project.id) &&
        (!query ||
          v.name.toLowerCase().includes(query) ||
          (v.description ?? '').toLowerCase().includes(query)),
    );
    const values = all.slice(startAt, startAt + maxResults).map((v) => this.#renderVersion(v));
    const isLast = startAt + maxResults >= all.length;
    return {
      body: {
        self: this.#self(
          `/rest/api/3/project/${project.key}/version?startAt=${startAt}&maxResults=${maxResults}`,
        ),
        ...(isLast
          ? {}
          : {
              nextPage: this.#self(
                `/rest/api/3/project/${project.key}/version?startAt=${startAt + maxResults}&maxResults=${maxResults}`,
              ),
            }),
        maxResults,
        startAt,
        total: all.length,
        isLast,
        values,
      },
    };
  }

  #projectVersions(req: SimRequest): SimResponse {
    const project = this.#projects.find((p) => p.key === req.params.key || p.id === req.params.key);
    if (!project) return jiraError(404, [`No project could be found with key '${req.params.key ?? ''}'.`]);
    return {
      body: [...this.#versions.values()]
        .filter((v) => v.projectId === Number(project.id))
        .map((v) => this.#renderVersion(v)),
    };
  }
}
