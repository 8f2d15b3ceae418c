/**
 * The bot token scopes deploy/slack-manifest*.yaml ask for (a unit test holds the manifests to
 * this list): what `dpbot doctor` expects the installed app's token to have.
 */
export const SLACK_BOT_SCOPES = [
  'commands',
  'chat:write',
  'chat:write.public',
  'channels:join',
  'channels:read',
  'groups:read',
  'im:write',
  'users:read',
  'users:read.email',
  'usergroups:read',
] as const;

/** Why dpbot needs each scope, for the doctor's messages. */
export const SCOPE_USE: Readonly<Record<(typeof SLACK_BOT_SCOPES)[number], string>> = {
  commands: 'the /dp slash command',
  'chat:write': 'replies and announcements',
  'chat:write.public': 'announcing in public channels it was not invited to',
  'channels:join': 'joining a public channel to update its announcements',
  'channels:read': 'finding the configured public channels by name, and checking that it is in them',
  'groups:read': 'finding the configured private channels by name, and checking that it is in them',
  'im:write': 'direct messages (reminders to release owners)',
  'users:read': 'knowing who is typing',
  'users:read.email': 'finding people in the directory by e-mail',
  'usergroups:read': 'the Slack user-group directory source',
};
