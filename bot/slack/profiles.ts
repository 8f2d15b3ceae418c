import type { WebClient } from '@slack/web-api';
import { LRUCache } from 'lru-cache';
import { UpstreamError } from '../../core/errors.ts';
import { slackError } from '../../integrations/slack/slackErrors.ts';
import type { SlackProfile, SlackProfileLookup } from '../../pipeline/identity.ts';

/**
 * users.info, cached for `ttlMs`: the Slack id → e-mail mapping rarely changes, and users.info is
 * rate limited. A user_change event (deactivation, e-mail change) evicts the entry at once; when
 * Slack sends none, a deactivation is seen within `ttlMs` (at most an hour, see access.identityCacheTtl),
 * or at once after `access sync slack`. At most 10,000 people are held.
 */
export class CachedSlackProfiles implements SlackProfileLookup {
  readonly #client: WebClient;
  readonly #cache: LRUCache<string, SlackProfile>;

  constructor(client: WebClient, ttlMs: number) {
    this.#client = client;
    this.#cache = new LRUCache({ max: 10_000, ttl: ttlMs });
  }

  async lookup(slackUserId: string): Promise<SlackProfile> {
    const cached = this.#cache.get(slackUserId);
    if (cached) return cached;
    let result: Awaited<ReturnType<WebClient['users']['info']>>;
    try {
      result = await this.#client.users.info({ user: slackUserId });
    } catch (error) {
      throw new UpstreamError(
        'Slack',
        `could not look up your Slack profile (${slackError(error)})`,
        undefined,
        {
          cause: error,
        },
      );
    }
    const profile: SlackProfile = {
      email: result.user?.profile?.email,
      deleted: result.user?.deleted === true,
      name: result.user?.real_name ?? result.user?.name,
    };
    this.#cache.set(slackUserId, profile);
    return profile;
  }

  forget(slackUserId: string): void {
    this.#cache.delete(slackUserId);
  }

  clear(): number {
    const n = this.#cache.size;
    this.#cache.clear();
    return n;
  }
}
