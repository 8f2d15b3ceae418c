import { createPrivateKey, type KeyObject, sign } from 'node:crypto';
import { z } from 'zod';
import { describeIssues } from '../../core/config/describeIssues.ts';
import { ConfigError, errorMessage, UpstreamError } from '../../core/errors.ts';
import { type HttpAnswer, JsonClient } from '../../core/http/jsonClient.ts';

/** The fields of a service account's JSON key that the JWT bearer grant needs. */
const serviceAccountKeySchema = z.looseObject({
  type: z.literal('service_account').optional(),
  client_email: z.email(),
  private_key: z.string().includes('PRIVATE KEY'),
  private_key_id: z.string().optional(),
});

export interface ServiceAccountKey {
  clientEmail: string;
  privateKey: KeyObject;
  keyId: string | undefined;
}

/** Parses the JSON key Google issues for a service account; `where` names the variable it came from. */
export function parseServiceAccountKey(json: string, where: string): ServiceAccountKey {
  let raw: unknown;
  try {
    raw = JSON.parse(json);
  } catch (error) {
    throw new ConfigError(where, [`not a JSON service account key: ${errorMessage(error)}`]);
  }
  const parsed = serviceAccountKeySchema.safeParse(raw);
  if (!parsed.success) throw new ConfigError(where, describeIssues(parsed.error));
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey(parsed.data.private_key);
  } catch (error) {
    throw new ConfigError(where, [`private_key: cannot be read as a PEM key: ${errorMessage(error)}`]);
  }
  return { clientEmail: parsed.data.client_email, privateKey, keyId: parsed.data.private_key_id };
}

const base64url = (data: string | Buffer) => Buffer.from(data).toString('base64url');

/**
 * The OAuth 2.0 JWT bearer grant (RFC 7523) as Google's token endpoint takes it for service
 * accounts with domain-wide delegation: a JWT signed with the account's key, naming the account
 * (`iss`), the Workspace user it acts as (`sub`), the scopes and the token endpoint (`aud`),
 * exchanged for an access token valid about an hour.
 */
export function signAssertion(
  key: ServiceAccountKey,
  claims: { subject: string; scopes: readonly string[]; audience: string; now: Date },
): string {
  const iat = Math.floor(claims.now.getTime() / 1000);
  const header = { alg: 'RS256', typ: 'JWT', ...(key.keyId ? { kid: key.keyId } : {}) };
  const payload = {
    iss: key.clientEmail,
    sub: claims.subject,
    scope: claims.scopes.join(' '),
    aud: claims.audience,
    iat,
    exp: iat + 3600,
  };
  const input = `${base64url(JSON.stringify(header))}.${base64url(JSON.stringify(payload))}`;
  const signature = sign('RSA-SHA256', Buffer.from(input), key.privateKey);
  return `${input}.${base64url(signature)}`;
}

const tokenResponseSchema = z.looseObject({
  access_token: z.string().min(1),
  expires_in: z.coerce.number().positive().default(3600),
  token_type: z.string().optional(),
});

/** Access tokens for one service account acting as one user; cached until a minute before expiry. */
export class ServiceAccountTokens {
  readonly #key: ServiceAccountKey;
  readonly #subject: string;
  readonly #scopes: readonly string[];
  readonly #tokenUrl: string;
  readonly #now: () => Date;
  #cached: { token: string; until: number } | undefined;
  readonly #http = new JsonClient({
    system: 'Google OAuth',
    metricsSystem: 'directory',
    // A POST, so never retried; the caller's signal bounds it.
    retry: { retries: 0, baseDelayMs: 0, maxWaitMs: 0 },
    errorFor: (answer) => this.#refused(answer),
  });

  constructor(options: {
    key: ServiceAccountKey;
    subject: string;
    scopes: readonly string[];
    tokenUrl: string;
    now?: () => Date;
  }) {
    this.#key = options.key;
    this.#subject = options.subject;
    this.#scopes = options.scopes;
    this.#tokenUrl = options.tokenUrl;
    this.#now = options.now ?? (() => new Date());
  }

  /** Forgets the cached token (after a 401). */
  invalidate(): void {
    this.#cached = undefined;
  }

  #refused(answer: HttpAnswer): UpstreamError {
    const err = z
      .looseObject({ error: z.string(), error_description: z.string().optional() })
      .safeParse(answer.json);
    const what = err.success
      ? `${err.data.error}${err.data.error_description ? `: ${err.data.error_description}` : ''}`
      : `HTTP ${answer.status}`;
    const hint =
      err.success && err.data.error === 'unauthorized_client'
        ? ` (is domain-wide delegation granted to ${this.#key.clientEmail}'s client id for ${this.#scopes.join(', ')}?)`
        : '';
    return new UpstreamError(
      'Google OAuth',
      `the token request for ${this.#subject} was refused: ${what}${hint}`,
      answer.status,
    );
  }

  async token(signal?: AbortSignal): Promise<string> {
    const now = this.#now();
    if (this.#cached && this.#cached.until > now.getTime()) return this.#cached.token;
    const assertion = signAssertion(this.#key, {
      subject: this.#subject,
      scopes: this.#scopes,
      audience: this.#tokenUrl,
      now,
    });
    const body = await this.#http.request({
      method: 'POST',
      url: this.#tokenUrl,
      form: new URLSearchParams({ grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer', assertion }),
      context: `the token request for ${this.#subject}`,
      ...(signal ? { signal } : {}),
    });
    const parsed = tokenResponseSchema.safeParse(body);
    if (!parsed.success)
      throw new UpstreamError('Google OAuth', 'the token endpoint answered without an access_token');
    this.#cached = {
      token: parsed.data.access_token,
      until: now.getTime() + Math.max(0, parsed.data.expires_in - 60) * 1000,
    };
    return parsed.data.access_token;
  }
}
