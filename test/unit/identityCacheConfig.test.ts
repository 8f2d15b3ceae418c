import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../app/config/loadConfig.ts';
import { ConfigError } from '../../core/errors.ts';

describe('access.identityCacheTtl', () => {
  it('defaults to 10 minutes and refuses more than an hour, saying why', () => {
    expect(parseConfig({}, 'x').access.identityCacheTtl).toBe(600_000);
    expect(parseConfig({ access: { identityCacheTtl: '1h' } }, 'x').access.identityCacheTtl).toBe(3_600_000);
    try {
      parseConfig({ access: { identityCacheTtl: '2h' } }, 'test.yaml');
      expect.unreachable('a two-hour cache was accepted');
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      expect((error as ConfigError).problems.join('\n')).toContain(
        'access.identityCacheTtl: at most 1h: a deactivated Slack account is served from this cache until it expires',
      );
    }
  });
});
