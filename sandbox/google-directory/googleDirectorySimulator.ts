import { createPublicKey, generateKeyPairSync, type KeyObject, randomBytes, verify } from 'node:crypto';
import { type Fault, type SimRequest, type SimResponse, Simulator } from '../http.ts';

export interface SimUser {
  id?: string;
  primaryEmail: string;
  fullName?: string;
  suspended?: boolean;
  archived?: boolean;
}

export interface SimMember {
  email: string;
  /** USER (default), GROUP (a nested group), CUSTOMER (everyone), EXTERNAL. */
  type?: 'USER' | 'GROUP' | 'CUSTOMER' | 'EXTERNAL';
  role?: 'OWNER' | 'MANAGER' | 'MEMBER';
}

export interface SimGroup {
  id?: string;
  email: string;
  name?: string;
  members: SimMember[];
}

export interface GoogleDirectoryData {
  /** The customer id `my_customer` stands for. */
  customerId: string;
  users: SimUser[];
  groups: SimGroup[];
  /** Users a service account may act as (domain-wide delegation's `sub`): the Workspace admins. */
  admins: string[];
}

const REQUIRED_SCOPES = [
  'https://www.googleapis.com/auth/admin.directory.group.readonly',
  'https://www.googleapis.com/auth/admin.directory.user.readonly',
];

/** Google's error envelope for the Admin SDK. */
function apiError(code: number, message: string, reason: string, status: string): SimResponse {
  return {
    status: code,
    body: { error: { code, message, errors: [{ message, domain: 'global', reason }], status } },
  };
}

/** A 429 (or 403) rate-limit answer as the Admin SDK sends it, for `inject`. */
export function googleRateLimitFault(
  times: number,
  options: { status?: 403 | 429; retryAfter?: string } = {},
): Fault {
  const status = options.status ?? 429;
  const reason = status === 429 ? 'rateLimitExceeded' : 'userRateLimitExceeded';
  const message = "Quota exceeded for quota metric 'Queries' and limit 'Queries per minute per user'.";
  return {
    path: /^\/admin\/directory\//,
    status,
    headers: { 'retry-after': options.retryAfter ?? '1' },
    body: {
      error: {
        code: status,
        message,
        errors: [{ message, domain: 'usageLimits', reason }],
        status: 'RESOURCE_EXHAUSTED',
      },
    },
    times,
  };
}

const pageToken = (offset: number) => Buffer.from(`offset:${offset}`).toString('base64url');
function offsetOf(token: string | null): number | undefined {
  if (!token) return 0;
  const m = /^offset:(\d+)$/.exec(Buffer.from(token, 'base64url').toString('utf8'));
  return m ? Number(m[1]) : undefined;
}

/**
 * The Admin SDK Directory API (users.list, groups.list, groups.get, members.list) and Google's
 * OAuth 2.0 token endpoint (the JWT bearer grant of service accounts), on loopback. Tokens are
 * only issued for JWTs signed with the simulated service account's key, addressed to this token
 * endpoint, asking for the directory scopes on behalf of an admin.
 */
export class GoogleDirectorySimulator extends Simulator {
  data: GoogleDirectoryData;
  readonly clientEmail: string;
  readonly #publicKey: KeyObject;
  readonly #privateKeyPem: string;
  readonly #keyId = randomBytes(20).toString('hex');
  readonly #tokens = new Map<string, { subject: string; expires: number }>();
  /** Member listings of these groups (by e-mail) stop after their first page without saying so. */
  truncateGroups = new Set<string>();
  /** Tokens issued so far (to check they are cached). */
  tokensIssued = 0;

  constructor(data: GoogleDirectoryData, options: { clientEmail?: string } = {}) {
    super('google-directory');
    this.data = data;
    this.clientEmail = options.clientEmail ?? 'dpbot-directory@dpbot-sandbox.iam.gserviceaccount.com';
    const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    this.#publicKey = createPublicKey(publicKey.export({ type: 'spki', format: 'pem' }));
    this.#privateKeyPem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    this.route('POST', '/token', (req) => this.#token(req));
    this.route('GET', '/admin/directory/v1/users', (req) => this.#authed(req, () => this.#users(req)));
    this.route('GET', '/admin/directory/v1/groups', (req) => this.#authed(req, () => this.#groups(req)));
    this.route('GET', '/admin/directory/v1/groups/:groupKey', (req) =>
      this.#authed(req, () => {
        const g = this.#group(req.params.groupKey ?? '');
        return g
          ? { body: this.#groupJson(g) }
          : apiError(404, 'Resource Not Found: groupKey', 'notFound', 'NOT_FOUND');
      }),
    );
    this.route('GET', '/admin/directory/v1/groups/:groupKey/members', (req) =>
      this.#authed(req, () => this.#members(req)),
    );
  }

  get tokenUrl(): string {
    return `${this.url}/token`;
  }

  /** The JSON key of the simulated service account, as Google issues it. */
  serviceAccountKey(): string {
    return JSON.stringify({
      type: 'service_account',
      project_id: 'dpbot-sandbox',
      private_key_id: this.#keyId,
      private_key: this.#privateKeyPem,
      client_email: this.clientEmail,
      client_id: '100000000000000000001',
      token_uri: this.tokenUrl,
    });
  }

  #token(req: SimRequest): SimResponse {
    const form = (req.body ?? {}) as Record<string, string>;
    const fail = (status: number, error: string, description: string): SimResponse => ({
      status,
      body: { error, error_description: description },
    });
    if (form.grant_type !== 'urn:ietf:params:oauth:grant-type:jwt-bearer')
      return fail(400, 'unsupported_grant_type', 'Invalid grant_type.');
    const parts = (form.assertion ?? '').split('.');
    if (parts.length !== 3) return fail(400, 'invalid_request', 'Invalid JWT: token must be a signed JWT');
    const [h = '', p = '', s = ''] = parts;
    let header: Record<string, unknown>;
    let claims: Record<string, unknown>;
    try {
      header = JSON.parse(Buffer.from(h, 'base64url').toString('utf8')) as Record<string, unknown>;
      claims = JSON.parse(Buffer.from(p, 'base64url').toString('utf8')) as Record<string, unknown>;
    } catch {
      return fail(400, 'invalid_request', 'Invalid JWT: cannot parse');
    }
    if (header.alg !== 'RS256') return fail(400, 'invalid_request', 'Invalid JWT: unsupported alg');
    if (!verify('RSA-SHA256', Buffer.from(`${h}.${p}`), this.#publicKey, Buffer.from(s, 'base64url')))
      return fail(400, 'invalid_grant', 'Invalid JWT Signature.');
    const now = Math.floor(Date.now() / 1000);
    if (claims.aud !== this.tokenUrl)
      return fail(
        400,
        'invalid_grant',
        'Invalid JWT: Token must be a short-lived token and in a reasonable timeframe (aud)',
      );
    if (
      typeof claims.exp !== 'number' ||
      typeof claims.iat !== 'number' ||
      claims.exp < now ||
      claims.exp - claims.iat > 3600
    )
      return fail(
        400,
        'invalid_grant',
        'Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable timeframe.',
      );
    if (claims.iss !== this.clientEmail)
      return fail(401, 'invalid_client', 'The OAuth client was not found.');
    const scopes = String(claims.scope ?? '').split(' ');
    if (
      !REQUIRED_SCOPES.every((x) => scopes.includes(x)) ||
      typeof claims.sub !== 'string' ||
      !this.data.admins.includes(claims.sub)
    )
      return fail(
        401,
        'unauthorized_client',
        'Client is unauthorized to retrieve access tokens using this method, or client not authorized for any of the scopes requested.',
      );
    const token = `ya29.sim-${randomBytes(12).toString('hex')}`;
    this.#tokens.set(token, { subject: claims.sub, expires: now + 3599 });
    this.tokensIssued++;
    return { body: { access_token: token, expires_in: 3599, token_type: 'Bearer' } };
  }

  /** Forgets every issued token, as if they had expired (the client must fetch a new one on 401). */
  revokeTokens(): void {
    this.#tokens.clear();
  }

  #authed(req: SimRequest, handle: () => SimResponse): SimResponse {
    const token = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
    const issued = token ? this.#tokens.get(token) : undefined;
    if (!issued || issued.expires < Date.now() / 1000)
      return apiError(
        401,
        'Request had invalid authentication credentials. Expected OAuth 2 access token.',
        'authError',
        'UNAUTHENTICATED',
      );
    return handle();
  }

  #customerOk(req: SimRequest): SimResponse | undefined {
    const customer = req.query.get('customer');
    const domain = req.query.get('domain');
    if (!customer && !domain) return apiError(400, 'Bad Request', 'badRequest', 'INVALID_ARGUMENT');
    if (customer && customer !== 'my_customer' && customer !== this.data.customerId)
      return apiError(403, 'Not Authorized to access this resource/api', 'forbidden', 'PERMISSION_DENIED');
    return undefined;
  }

  #page<T>(
    req: SimRequest,
    items: T[],
    key: string,
    kind: string,
    max: number,
    fallback: number,
    truncated = false,
  ): SimResponse {
    const requested = Number(req.query.get('maxResults') ?? fallback);
    if (!Number.isInteger(requested) || requested < 1 || requested > max)
      return apiError(
        400,
        `Invalid value for maxResults: ${req.query.get('maxResults')}`,
        'invalid',
        'INVALID_ARGUMENT',
      );
    const offset = offsetOf(req.query.get('pageToken'));
    if (offset === undefined) return apiError(400, 'Invalid page token', 'invalid', 'INVALID_ARGUMENT');
    const slice = items.slice(offset, offset + requested);
    const more = offset + requested < items.length && !truncated;
    return {
      body: {
        kind,
        etag: `"${randomBytes(6).toString('hex')}"`,
        ...(slice.length ? { [key]: slice } : {}),
        ...(more ? { nextPageToken: pageToken(offset + requested) } : {}),
      },
    };
  }

  #userId(u: SimUser): string {
    return u.id ?? String(100000000000000000000n + BigInt(this.data.users.indexOf(u) + 1));
  }

  #users(req: SimRequest): SimResponse {
    const bad = this.#customerOk(req);
    if (bad) return bad;
    const domain = req.query.get('domain');
    const users = this.data.users
      .filter((u) => !domain || u.primaryEmail.endsWith(`@${domain}`))
      .map((u) => ({
        kind: 'admin#directory#user',
        id: this.#userId(u),
        primaryEmail: u.primaryEmail,
        name: { fullName: u.fullName ?? u.primaryEmail.split('@')[0] },
        isAdmin: this.data.admins.includes(u.primaryEmail),
        suspended: u.suspended ?? false,
        archived: u.archived ?? false,
        customerId: this.data.customerId,
      }));
    return this.#page(req, users, 'users', 'admin#directory#users', 500, 100);
  }

  #group(key: string): SimGroup | undefined {
    const k = key.toLowerCase();
    return this.data.groups.find((g) => this.#groupId(g) === key || g.email.toLowerCase() === k);
  }

  #groupId(g: SimGroup): string {
    return g.id ?? `0${(this.data.groups.indexOf(g) + 1).toString(16).padStart(14, '0')}`;
  }

  #groupJson(g: SimGroup) {
    return {
      kind: 'admin#directory#group',
      id: this.#groupId(g),
      etag: `"${randomBytes(6).toString('hex')}"`,
      email: g.email,
      name: g.name ?? g.email.split('@')[0],
      directMembersCount: String(g.members.length),
      description: '',
      adminCreated: true,
    };
  }

  #groups(req: SimRequest): SimResponse {
    const bad = this.#customerOk(req);
    if (bad) return bad;
    const domain = req.query.get('domain');
    const groups = this.data.groups
      .filter((g) => !domain || g.email.endsWith(`@${domain}`))
      .map((g) => this.#groupJson(g));
    return this.#page(req, groups, 'groups', 'admin#directory#groups', 200, 200);
  }

  #members(req: SimRequest): SimResponse {
    const g = this.#group(req.params.groupKey ?? '');
    if (!g) return apiError(404, 'Resource Not Found: groupKey', 'notFound', 'NOT_FOUND');
    const members = g.members.map((m, i) => {
      const user = this.data.users.find((u) => u.primaryEmail === m.email);
      const group = m.type === 'GROUP' ? this.#group(m.email) : undefined;
      return {
        kind: 'admin#directory#member',
        etag: `"m${i}"`,
        id: user
          ? this.#userId(user)
          : group
            ? this.#groupId(group)
            : m.type === 'CUSTOMER'
              ? this.data.customerId
              : `ext${i}`,
        ...(m.type === 'CUSTOMER' ? {} : { email: m.email }),
        role: m.role ?? 'MEMBER',
        type: m.type ?? 'USER',
        status: user?.suspended ? 'SUSPENDED' : 'ACTIVE',
      };
    });
    return this.#page(
      req,
      members,
      'members',
      'admin#directory#members',
      200,
      200,
      this.truncateGroups.has(g.email),
    );
  }
}
