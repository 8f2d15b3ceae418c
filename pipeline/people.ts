import { escapeMrkdwn } from './views/common.ts';

/** Someone a message names: whatever is known of them. */
export interface Person {
  /** Their name in the directory. */
  name?: string | null | undefined;
  email?: string | null | undefined;
  slackUserId?: string | null | undefined;
  /** Slack's name for them (their profile's real name), for people the directory does not know. */
  slackName?: string | null | undefined;
}

/**
 * Their name as a person reads it: the directory's, else Slack's. A directory name that is the
 * e-mail again (the sandbox's installer is added that way) is no name.
 */
function realName(p: Person): string | undefined {
  const name = p.name?.trim();
  if (name && name.toLowerCase() !== p.email?.trim().toLowerCase()) return name;
  return p.slackName?.trim() || undefined;
}

/** `Ada Lovelace`; the e-mail, or the Slack user id, when no name is known. Plain text. */
export function personName(p: Person): string {
  return realName(p) ?? p.email ?? p.slackUserId ?? 'someone';
}

/** `Ada Lovelace (ada@example.com)`; one of them alone when the other is not known. Plain text. */
export function nameWithEmail(p: Person): string {
  const name = realName(p);
  return name && p.email ? `${name} (${p.email})` : personName(p);
}

/** A person in Slack mrkdwn: a mention where their Slack user id is known, else their name. */
export function mentionOf(p: Person): string {
  return p.slackUserId && /^[UW][A-Z0-9]+$/.test(p.slackUserId)
    ? `<@${p.slackUserId}>`
    : escapeMrkdwn(personName(p));
}

const MENTION_TOKEN = /\uE000([UW][A-Z0-9]+)\uE001/g;

/**
 * A person in text that is escaped for mrkdwn only later (a scaling announcement keeps its lines
 * as plain text): a mark that `withMentions` turns into a mention after escaping, or the name.
 */
export function personToken(p: Person): string {
  return p.slackUserId && /^[UW][A-Z0-9]+$/.test(p.slackUserId)
    ? `\uE000${p.slackUserId}\uE001`
    : personName(p);
}

/** Escaped mrkdwn with the marks of `personToken` made mentions. */
export function withMentions(escaped: string): string {
  return escaped.replace(MENTION_TOKEN, '<@$1>');
}

/** What dpbot's own work is called where a person would be named (rows written with no person). */
const DPBOT_WORK: Record<string, string> = {
  'workers.scale': 'scheduled revert',
  'tasks.run': 'task watcher',
  'release.ship': 'release ship',
  'release.rollback': 'release rollback',
  'release.start': 'release tracker',
  'directory.sync': 'directory sync',
};

/**
 * Who wrote an audit row: the person, or dpbot itself for its own work (`dpbot, scheduled revert`,
 * `dpbot, task watcher`), never a bare `?`. Plain text.
 */
export function actorOfRow(row: Person & { action?: string | null }): string {
  if (row.email || row.slackUserId || row.name || row.slackName) {
    const name = realName(row);
    const id = row.email ?? row.slackUserId;
    return name && id ? `${name} (${id})` : personName(row);
  }
  const work = row.action ? DPBOT_WORK[row.action] : undefined;
  return work ? `dpbot, ${work}` : 'dpbot';
}

/** A state as people read it: `rolled back`, not `rolled_back`. */
export function stateText(state: string): string {
  return state.replaceAll('_', ' ');
}
