import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { parseConfig } from '../../app/config/loadConfig.ts';
import { SLACK_BOT_SCOPES } from '../../bot/slack/botScopes.ts';
import { projectRoot } from '../../core/paths.ts';
import { MANIFEST_SCOPES } from '../../sandbox/slack/slackSimulator.ts';

interface Manifest {
  features: { slash_commands: { command: string; url?: string }[]; app_home: { home_tab_enabled: boolean } };
  oauth_config: { scopes: { bot: string[] } };
  settings: {
    socket_mode_enabled: boolean;
    interactivity: { is_enabled: boolean; request_url?: string; message_menu_options_url?: string };
    event_subscriptions: { request_url?: string; bot_events: string[] };
  };
}

const read = (name: string) => parse(readFileSync(join(projectRoot(), 'deploy', name), 'utf8')) as Manifest;

describe('Slack app manifests', () => {
  const http = read('slack-manifest.yaml');
  const socket = read('slack-manifest.socket.yaml');

  it('declare the slash command dpbot listens to, App Home, and the events it handles', () => {
    const command = parseConfig({}, 'defaults').slack.command;
    for (const m of [http, socket]) {
      expect(m.features.slash_commands.map((c) => c.command)).toEqual([command]);
      expect(m.features.app_home.home_tab_enabled).toBe(true);
      expect(m.settings.event_subscriptions.bot_events).toEqual([
        'app_home_opened',
        'user_change',
        // A renamed channel: a configured name is looked up again.
        'channel_rename',
        'group_rename',
      ]);
      expect(m.oauth_config.scopes.bot).toEqual(
        expect.arrayContaining([
          'commands',
          'chat:write',
          'users:read',
          'users:read.email',
          'usergroups:read',
          // dpbot doctor checks that dpbot is in the announcement channels (public, private).
          'channels:read',
          'groups:read',
        ]),
      );
    }
  });

  it('ask for exactly the scopes dpbot doctor expects (and the Slack simulator grants by default)', () => {
    for (const m of [http, socket]) {
      expect([...m.oauth_config.scopes.bot].sort()).toEqual([...SLACK_BOT_SCOPES].sort());
      expect([...m.oauth_config.scopes.bot].sort()).toEqual([...MANIFEST_SCOPES].sort());
    }
  });

  it('point every HTTP URL at /slack/events, and the Socket Mode variant at none', () => {
    const urls = [
      http.features.slash_commands[0]?.url,
      http.settings.interactivity.request_url,
      http.settings.interactivity.message_menu_options_url,
      http.settings.event_subscriptions.request_url,
    ];
    for (const url of urls) expect(url).toMatch(/^https:\/\/[^/]+\/slack\/events$/);
    expect(http.settings.socket_mode_enabled).toBe(false);
    expect(socket.settings.socket_mode_enabled).toBe(true);
    expect(JSON.stringify(socket)).not.toContain('/slack/events');
  });
});
