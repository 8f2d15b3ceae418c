import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { exampleConfigPath, loadConfig, parseConfig, parseYaml } from '../../app/config/loadConfig.ts';
import { configSchema } from '../../app/config/schema.ts';
import { readSecret } from '../../core/config/secrets.ts';
import { ConfigError } from '../../core/errors.ts';
import { createFixture } from '../support/fixture.ts';

function problems(raw: unknown, env = {}): string[] {
  try {
    parseConfig(raw, 'test.yaml', env);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  return [];
}

describe('configuration', () => {
  it('takes every default from an empty file', () => {
    const config = parseConfig({}, 'empty.yaml');
    expect(config.server.port).toBe(3000);
    expect(config.database.dataDir).toBe('.dpbot');
    expect(config.confirmations.ttl).toBe(600_000);
    expect(config.directory.sources).toEqual([]);
    // GitHub's writes stay spaced as GitHub asks: only the tests, in front of a simulator, turn it off.
    expect(config.github.spaceWrites).toBe(true);
    // A dead process's job is taken up after 20 s without a heartbeat: only tests shorten it.
    expect(config.jobs.heartbeat).toBe(20_000);
  });

  it('treats a section with only comments (null) as empty', () => {
    expect(parseConfig(parseYaml('slack:\n  channels:\n  # admin: x\n', 'x'), 'x').slack.channels).toEqual(
      {},
    );
  });

  it('reports every problem with its path', () => {
    expect(
      problems({
        server: { port: 70000 },
        database: { poolSize: 'ten' },
        confirmations: { ttl: 'soon' },
        access: { unknownKey: 1 },
        directory: { sources: [{ name: 'Bad Name', type: 'file', path: 'x' }] },
      }),
    ).toEqual([
      'server.port: expected an integer from 0 to 65535',
      'database.poolSize: expected an integer from 1 to 100',
      "access: unknown key 'unknownKey'",
      'directory.sources[0].name: expected a lower-case name such as "file" or "slack"',
      'confirmations.ttl: expected a duration such as 90s, 10m, 2h or 1d, got "soon"',
    ]);
  });

  it('finds duplicate source names and bad environment overrides', () => {
    expect(
      problems(
        {
          directory: {
            sources: [
              { name: 'file', type: 'file', path: 'a' },
              { name: 'file', type: 'file', path: 'b' },
            ],
          },
        },
        { PORT: 'eighty', DPBOT_DATA_DIR: ' ', LOG_LEVEL: 'loud' },
      ),
    ).toEqual([
      'directory.sources[1].name: "file" is used by another source',
      'PORT: expected a port number, got "eighty"',
      'DPBOT_DATA_DIR: expected a folder, got an empty value',
      'LOG_LEVEL: expected one of fatal, error, warn, info, debug, trace, silent',
    ]);
  });

  it('takes the data folder from DPBOT_DATA_DIR over the file', () => {
    const config = parseConfig({ database: { dataDir: 'from-file' } }, 'dpbot.yaml', {
      DPBOT_DATA_DIR: '/var/lib/dpbot-2',
    });
    expect(config.database.dataDir).toBe('/var/lib/dpbot-2');
  });

  it('reports YAML syntax errors with line and column', () => {
    expect(() => parseYaml('server:\n  port: [1, 2\n', 'bad.yaml')).toThrow(
      /bad\.yaml:\n {2}- line \d+, column \d+/,
    );
  });

  it('loads the committed example without problems', () => {
    const loaded = loadConfig({ path: exampleConfigPath(), env: {} });
    expect(loaded.config.directory.sources[0]?.name).toBe('file');
  });

  it('the example documents every key of the schema', () => {
    const text = readFileSync(exampleConfigPath(), 'utf8');
    const keys: string[] = [];
    const walk = (schema: z.ZodType, path: string[]) => {
      let s: z.ZodType = schema;
      // Unwrap the wrappers dpbot's schema uses (defaults, optionals, preprocessing pipes).
      for (;;) {
        if (s instanceof z.ZodPipe) s = s.out as z.ZodType;
        else if (s instanceof z.ZodDefault || s instanceof z.ZodPrefault || s instanceof z.ZodOptional)
          s = s.unwrap() as z.ZodType;
        else break;
      }
      if (s instanceof z.ZodObject) {
        for (const [key, child] of Object.entries(s.shape)) walk(child as z.ZodType, [...path, key]);
      } else keys.push(path.join('.'));
    };
    walk(configSchema, []);
    const missing = keys.filter((k) => !new RegExp(`^\\s*#?\\s*${k.split('.').at(-1)}:`, 'm').test(text));
    expect(missing).toEqual([]);
  });

  it('prefers --config, then DPBOT_CONFIG, then ./dpbot.yaml', () => {
    const fixture = createFixture();
    try {
      expect(loadConfig({ env: {}, cwd: fixture.dir }).path).toBe(fixture.configPath);
      const other = fixture.write('other.yaml', { server: { port: 4000 } });
      expect(loadConfig({ env: { DPBOT_CONFIG: other }, cwd: fixture.dir }).config.server.port).toBe(4000);
      expect(
        loadConfig({ path: fixture.configPath, env: { DPBOT_CONFIG: other }, cwd: fixture.dir }).path,
      ).toBe(fixture.configPath);
      expect(loadConfig({ env: {}, cwd: '/' }).isExample).toBe(true);
    } finally {
      fixture.remove();
    }
  });

  it('reads secrets from NAME or from the file named by NAME_FILE', () => {
    const fixture = createFixture();
    try {
      const file = fixture.write('token', 'xoxb-from-file\n');
      expect(readSecret({ SLACK_BOT_TOKEN: 'xoxb-direct' }, 'SLACK_BOT_TOKEN')).toBe('xoxb-direct');
      expect(readSecret({ SLACK_BOT_TOKEN_FILE: file }, 'SLACK_BOT_TOKEN')).toBe('xoxb-from-file');
      expect(readSecret({}, 'SLACK_BOT_TOKEN')).toBeUndefined();
      expect(() => readSecret({ SLACK_BOT_TOKEN_FILE: `${file}.missing` }, 'SLACK_BOT_TOKEN')).toThrow(
        /SLACK_BOT_TOKEN_FILE: cannot read/,
      );
    } finally {
      fixture.remove();
    }
  });
});
