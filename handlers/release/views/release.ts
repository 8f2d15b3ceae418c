import { Blocks, Elements, Md } from 'slack-block-builder';
import { formatTime } from '../../../core/time.ts';
import type { TrackedIssue } from '../../../integrations/jira/releaseTracker.ts';
import { blocks, type Message } from '../../../pipeline/message.ts';
import { stateText } from '../../../pipeline/people.ts';
import { codeText, escapeMrkdwn, lineSections, RUN_ACTION } from '../../../pipeline/views/common.ts';
import { andMore } from '../../../pipeline/views/paging.ts';
import { type ActiveFreeze, describeFreeze } from '../../freeze/index.ts';
import { categoryByName, OTHER, readableTitle } from '../categorize.ts';
import type { ReleaseCategory } from '../config.ts';
import type { ReleaseDeps } from '../deps.ts';
import { ownerMentions } from '../people.ts';
import type { ReleaseApp, ReleasePr, ReleaseSnapshot } from '../stores/releaseStore.ts';

/** The part of the configuration the views read. */
type ReleaseConfigSlice = ReleaseDeps['config'];

/** E-mail → the person's name in the directory; an e-mail not in it is shown as is. */
export type Names = ReadonlyMap<string, string>;
const NO_NAMES: Names = new Map();
const nameIn = (names: Names, email: string) => names.get(email) ?? email;

const STATUS_TEXT: Record<ReleaseSnapshot['release']['status'], string> = {
  open: 'Open: owners decide what ships',
  shipping: 'Shipping',
  shipped: 'Shipped',
  failed: 'Stopped: a deployment failed',
  cancelled: 'Cancelled',
};

const APP_TEXT: Record<ReleaseApp['status'], string> = {
  waiting: '⏳ Waiting',
  syncing: '🔄 Syncing',
  healthy: '✅ Healthy',
  degraded: '🔴 Degraded',
  failed: '🔴 Failed',
  rolling_back: '↩️ Rolling back',
  rolled_back: '↩️ Rolled back',
};

/** Rows of five rollback buttons the release message shows before naming the rest. */
const MAX_ROLLBACK_ROWS = 5;

const short = (sha: string | null | undefined) => (sha ? sha.slice(0, 7) : '—');
/** `abc1234…def5678`, or `since 2026-11-01 → def5678` for a first release started from a date. */
const range = (row: { sinceRevision: string | null; sinceDate: Date; revision: string }) =>
  row.sinceRevision
    ? `${short(row.sinceRevision)}…${short(row.revision)}`
    : `since ${row.sinceDate.toISOString().slice(0, 10)} → ${short(row.revision)}`;

export function releaseTitle(snapshot: ReleaseSnapshot): string {
  return `Release #${snapshot.release.id} — ${snapshot.release.createdAt.toISOString().slice(0, 10)}`;
}

const run = (text: string, command: string, style?: 'primary' | 'danger') => {
  const b = Elements.Button({ text, actionId: RUN_ACTION, value: command });
  return style === 'primary' ? b.primary() : style === 'danger' ? b.danger() : b;
};

/** The PRs of one service in a release. */
export function prsOf(snapshot: ReleaseSnapshot, service: string): ReleasePr[] {
  return snapshot.prs.filter((p) => p.services.includes(service));
}

function decisionText(
  snapshot: ReleaseSnapshot,
  service: string,
  config: ReleaseConfigSlice,
  names: Names,
): string {
  const c = snapshot.confirmations.find((x) => x.service === service);
  const svc = config.release.services.find((s) => s.name === service);
  if (!c || c.decision === 'pending') return `⏳ waiting for ${svc ? ownerMentions(svc) : 'its owners'}`;
  const who = c.decidedBy ? nameIn(names, c.decidedBy) : 'someone';
  if (c.decision === 'include') return `✅ included by ${escapeMrkdwn(who)}`;
  return `⏭ skipped by ${escapeMrkdwn(who)}${c.reason ? ` (${escapeMrkdwn(c.reason)})` : ''}`;
}

/** The one release message in the release channel, updated in place as things happen. */
export function releaseMessage(
  snapshot: ReleaseSnapshot,
  config: ReleaseConfigSlice,
  names: Names = NO_NAMES,
  freezes: readonly ActiveFreeze[] = [],
): Message {
  const r = snapshot.release;
  // Who froze, why and until when, where the Ship button is: before anyone presses it.
  const frozen = r.status === 'open' || r.status === 'failed' ? freezes.map(describeFreeze) : [];
  const lines = snapshot.services.map((s) => {
    const count = prsOf(snapshot, s.service).length;
    const late = prsOf(snapshot, s.service).filter((p) => p.late).length;
    const apps = snapshot.apps
      .filter((a) => a.service === s.service)
      .map(
        (a) =>
          `\n    ${escapeMrkdwn(a.application)}: ${APP_TEXT[a.status]}${a.message && a.status !== 'healthy' ? ` — ${escapeMrkdwn(a.message)}` : ''}`,
      )
      .join('');
    return `• ${Md.bold(s.service)} (${escapeMrkdwn(s.repository)} ${range(s)}) — ${count} PR${count === 1 ? '' : 's'}${late ? ` (${late} late)` : ''} · ${decisionText(snapshot, s.service, config, names)}${apps}`;
  });
  const withoutKey = snapshot.prs.filter((p) => p.jiraKeys.length === 0 && p.category !== 'excluded').length;
  const pending = snapshot.confirmations.filter((c) => c.decision === 'pending').length;
  const context = [
    `Started by ${escapeMrkdwn(nameIn(names, r.startedBy))} ${formatTime(r.createdAt)}`,
    `${snapshot.prs.length} pull request(s), ${withoutKey} without a Jira key`,
    r.trackerNote ? escapeMrkdwn(r.trackerNote) : '',
    r.status === 'open' && pending ? `${pending} service(s) still to decide` : '',
  ].filter(Boolean);
  const rollbackApps = snapshot.apps.filter(
    (a) => a.status !== 'waiting' && a.status !== 'rolling_back' && a.status !== 'rolled_back',
  );
  const rollbackButtons = rollbackApps.map((a) =>
    run(`Rollback ${a.application}`, `release rollback ${a.application} --release ${r.id}`, 'danger'),
  );
  const actions =
    r.status === 'open'
      ? [
          run('Ship', `release ship --release ${r.id}`, 'primary'),
          run('Refresh', `release refresh --release ${r.id}`),
          run('Status', `release status ${r.id}`),
        ]
      : [run('Status', `release status ${r.id}`), run('Notes', `release notes ${r.id}`)];
  const text = [
    `${releaseTitle(snapshot)}: ${STATUS_TEXT[r.status]}`,
    ...frozen.map((f) => `Frozen: ${f}`),
    ...snapshot.services.map((s) => {
      const c = snapshot.confirmations.find((x) => x.service === s.service);
      const apps = snapshot.apps
        .filter((a) => a.service === s.service)
        .map((a) => `${a.application} ${stateText(a.status)}`);
      const decided =
        !c || c.decision === 'pending'
          ? 'waiting for a decision'
          : `${c.decision === 'include' ? 'included' : 'skipped'} by ${c.decidedBy ? nameIn(names, c.decidedBy) : 'someone'}`;
      return `${s.service}: ${prsOf(snapshot, s.service).length} PRs, ${decided}${apps.length ? ` [${apps.join(', ')}]` : ''}`;
    }),
  ].join('\n');
  const chunks: (typeof rollbackButtons)[] = [];
  for (let i = 0; i < rollbackButtons.length && chunks.length < MAX_ROLLBACK_ROWS; i += 5)
    chunks.push(rollbackButtons.slice(i, i + 5));
  // Past the rows of buttons the message has room for, the rest are named with the command that
  // rolls each back, so no application loses its way back.
  const unbuttoned = rollbackApps.slice(MAX_ROLLBACK_ROWS * 5).map((a) => a.application);
  return {
    text,
    visibility: 'in_channel',
    blocks: blocks(
      Blocks.Header({ text: releaseTitle(snapshot) }),
      Blocks.Section({ text: `${Md.bold('Status')}: ${STATUS_TEXT[r.status]}` }),
      frozen.length > 0 && Blocks.Section({ text: frozen.map((f) => `❄️ ${escapeMrkdwn(f)}`).join('\n') }),
      ...lineSections(lines, 20),
      Blocks.Context().elements(context.join(' · ')),
      ...chunks.map((c) => Blocks.Actions().elements(...c)),
      unbuttoned.length > 0 &&
        Blocks.Context().elements(
          `Rollback for ${andMore(unbuttoned.map(escapeMrkdwn), 10)}: ${codeText(`release rollback <application> --release ${r.id}`)}`,
        ),
      Blocks.Actions().elements(...actions),
    ),
  };
}

function prLine(pr: ReleasePr): string {
  const keys = pr.jiraKeys.length ? ` · ${pr.jiraKeys.join(', ')}` : '';
  const late = pr.late ? ' _(late addition)_' : '';
  return `• <${pr.url}|#${pr.number}> ${escapeMrkdwn(pr.title)}${pr.author ? ` — ${escapeMrkdwn(pr.author)}` : ''}${keys}${late}`;
}

function grouped(
  prs: readonly ReleasePr[],
  categories: readonly ReleaseCategory[],
): [ReleaseCategory, ReleasePr[]][] {
  const order = [...categories, OTHER];
  return order
    .map((c): [ReleaseCategory, ReleasePr[]] => [c, prs.filter((p) => p.category === c.name)])
    .filter(([, list]) => list.length > 0);
}

/** A service's thread: its pull requests by category, who decides, and Include / Skip. */
export function serviceThreadMessage(
  snapshot: ReleaseSnapshot,
  service: string,
  config: ReleaseConfigSlice,
  names: Names = NO_NAMES,
): Message {
  const row = snapshot.services.find((s) => s.service === service);
  const prs = prsOf(snapshot, service);
  const svc = config.release.services.find((s) => s.name === service);
  const lines: string[] = [];
  for (const [category, list] of grouped(prs, config.release.categories)) {
    lines.push(Md.bold(category.title));
    lines.push(...list.map(prLine));
  }
  const excluded = prs.filter((p) => p.category === 'excluded');
  const noKey = prs.filter((p) => p.jiraKeys.length === 0 && p.category !== 'excluded');
  const decided = snapshot.confirmations.find((c) => c.service === service);
  const open = snapshot.release.status === 'open';
  const title = `${service}: ${prs.length} pull request(s) in release #${snapshot.release.id}`;
  return {
    text: [title, ...prs.map((p) => `#${p.number} ${p.title}${p.late ? ' (late addition)' : ''}`)].join('\n'),
    visibility: 'in_channel',
    blocks: blocks(
      Blocks.Section({
        text: `${Md.bold(escapeMrkdwn(title))}\n${escapeMrkdwn(row?.repository ?? '')} ${row ? range(row) : ''} · owners: ${svc ? ownerMentions(svc) : '?'}`,
      }),
      ...lineSections(lines.length ? lines : ['No pull requests since the last release.'], 12),
      (noKey.length > 0 || excluded.length > 0) &&
        Blocks.Context().elements(
          [
            noKey.length ? `Without a Jira key: ${noKey.map((p) => `#${p.number}`).join(', ')}` : '',
            excluded.length ? `Left out of notes: ${excluded.map((p) => `#${p.number}`).join(', ')}` : '',
          ]
            .filter(Boolean)
            .join(' · '),
        ),
      Blocks.Section({ text: decisionText(snapshot, service, config, names) }),
      open &&
        Blocks.Actions().elements(
          run(
            'Include',
            `release include ${service} --release ${snapshot.release.id}`,
            decided?.decision === 'include' ? undefined : 'primary',
          ),
          run('Skip', `release skip ${service} --release ${snapshot.release.id}`),
        ),
    ),
  };
}

/** Section blocks the notes may fill before the rest of the services move to their own notes. */
const NOTES_SECTIONS = 20;
/** Room left under Slack's 40,000-character message text for the rest of the notes' fallback. */
const NOTES_TEXT_BUDGET = 36_000;

/** One service's part of a set of notes: its block lines and its plain-text fallback lines. */
interface NotesGroup {
  service: string;
  lines: string[];
  plain: string[];
}

/**
 * The groups that fit one message whole, in order, and the services of those that do not: the
 * first always shows (one service too big for a message is cut by lineSections, and says so).
 */
function fitGroups(groups: readonly NotesGroup[], plainHead: readonly string[]) {
  const lines: string[] = [];
  const plain = [...plainHead];
  const left: string[] = [];
  for (const group of groups) {
    const fits =
      lines.length === 0 ||
      (left.length === 0 &&
        lineSections([...lines, ...group.lines], Number.POSITIVE_INFINITY).length <= NOTES_SECTIONS &&
        [...plain, ...group.plain].join('\n').length <= NOTES_TEXT_BUDGET);
    if (!fits) {
      left.push(group.service);
      continue;
    }
    lines.push(...group.lines);
    plain.push(...group.plain);
  }
  return { lines, plain, left };
}

/** Where the services left out of a set of notes are read, one at a time. */
function notesCommand(snapshot: ReleaseSnapshot): string {
  return `release notes ${snapshot.release.id} service=<name>`;
}

/**
 * Release notes for engineers: every included service, by category, with links and keys. Whole
 * services are shown while they fit one message; the others are named with the command that
 * shows each one's notes, rather than cut off mid-list.
 */
export function engineeringNotes(
  snapshot: ReleaseSnapshot,
  config: ReleaseConfigSlice,
  services?: readonly string[],
): Message {
  const included = snapshot.confirmations
    .filter((c) => c.decision === 'include')
    .map((c) => c.service)
    .filter((service) => !services || services.includes(service));
  const groups = included.map((service): NotesGroup => {
    const prs = prsOf(snapshot, service).filter((p) => p.category !== 'excluded');
    const group: NotesGroup = { service, lines: [`${Md.bold(service)}`], plain: [service] };
    for (const [category, list] of grouped(prs, config.release.categories)) {
      group.lines.push(`_${escapeMrkdwn(category.title)}_`, ...list.map(prLine));
      group.plain.push(`  ${category.title}`, ...list.map((p) => `  - #${p.number} ${p.title}`));
    }
    return group;
  });
  const { lines, plain, left } = fitGroups(groups, [`${releaseTitle(snapshot)} — release notes`]);
  const more = left.length
    ? `${left.length} more service(s), each with ${codeText(notesCommand(snapshot))}: ${andMore(left.map(escapeMrkdwn), 20)}`
    : '';
  const skipped = snapshot.confirmations.filter((c) => c.decision === 'skip').map((c) => c.service);
  const context = [
    skipped.length ? `Skipped: ${skipped.join(', ')}` : '',
    snapshot.release.trackerNote ?? '',
  ].filter(Boolean);
  if (left.length)
    plain.push(`${left.length} more service(s), each with ${notesCommand(snapshot)}: ${andMore(left, 20)}`);
  plain.push(...context);
  return {
    text: plain.join('\n'),
    blocks: blocks(
      Blocks.Header({ text: `${releaseTitle(snapshot)} — release notes` }),
      ...lineSections(lines.length ? lines : ['Nothing was included in this release.'], NOTES_SECTIONS),
      left.length > 0 && Blocks.Section({ text: more }),
      context.length > 0 && Blocks.Context().elements(escapeMrkdwn(context.join(' · '))),
    ),
  };
}

/** The same notes as Markdown, for a GitHub release body. */
export function markdownNotes(
  snapshot: ReleaseSnapshot,
  config: ReleaseConfigSlice,
  repository: string,
): string {
  const out: string[] = [];
  const included = snapshot.confirmations.filter((c) => c.decision === 'include').map((c) => c.service);
  for (const service of included) {
    const prs = prsOf(snapshot, service).filter(
      (p) => p.repository === repository && p.category !== 'excluded',
    );
    if (!prs.length) continue;
    out.push(`## ${service}`);
    for (const [category, list] of grouped(prs, config.release.categories)) {
      out.push(`### ${category.title}`, ...list.map((p) => `- ${p.title} (#${p.number})`));
    }
  }
  return out.join('\n');
}

/**
 * Notes for one stakeholder channel, for readers outside engineering: only the services that
 * concern them and shipped, only categories with a stakeholder heading, plain titles (the Jira
 * summary when the tracker knows the key), and for external audiences no links or names.
 */
export function stakeholderNotes(
  snapshot: ReleaseSnapshot,
  config: ReleaseConfigSlice,
  channel: string,
  issues: ReadonlyMap<string, TrackedIssue>,
): Message | undefined {
  const services = config.release.services.filter(
    (s) =>
      s.stakeholders.includes(channel) &&
      snapshot.services.some((r) => r.service === s.name && r.shipStatus === 'done'),
  );
  if (!services.length) return undefined;
  const groups: NotesGroup[] = [];
  for (const svc of services) {
    const prs = prsOf(snapshot, svc.name).filter((p) => p.category !== 'excluded');
    const sections: string[] = [];
    const plain: string[] = [];
    const seen = new Set<string>();
    for (const [category, list] of grouped(prs, config.release.categories)) {
      const heading = categoryByName(category.name, config.release.categories).stakeholderTitle;
      if (!heading) continue;
      const items: string[] = [];
      for (const pr of list) {
        const summary = pr.jiraKeys.map((k) => issues.get(k)?.summary).find(Boolean);
        const text = summary ?? readableTitle(pr.title);
        if (seen.has(text)) continue;
        seen.add(text);
        items.push(
          svc.external ? `• ${escapeMrkdwn(text)}` : `• ${escapeMrkdwn(text)} (<${pr.url}|details>)`,
        );
        plain.push(`${svc.name}: ${text}`);
      }
      if (items.length) sections.push(`_${escapeMrkdwn(heading)}_`, ...items);
    }
    if (sections.length) groups.push({ service: svc.name, lines: [Md.bold(svc.name), ...sections], plain });
  }
  if (!groups.length) return undefined;
  const date = snapshot.release.shippedAt ?? snapshot.release.updatedAt;
  const title = `What changed on ${date.toISOString().slice(0, 10)}`;
  const { lines, plain, left } = fitGroups(groups, [title]);
  // Stakeholders may not read releases in dpbot, so the rest is named and the release channel,
  // which they are pointed to already, is where they ask.
  const more = left.length
    ? `Also changed: ${andMore(left, 20)}. The release channel has the full notes (${notesCommand(snapshot)}).`
    : '';
  return {
    text: [...plain, more].filter(Boolean).join('\n'),
    visibility: 'in_channel',
    blocks: blocks(
      Blocks.Header({ text: title }),
      ...lineSections(lines, NOTES_SECTIONS),
      left.length > 0 && Blocks.Section({ text: escapeMrkdwn(more) }),
      Blocks.Context().elements('Questions? Ask in the release channel.'),
    ),
  };
}

/** The live line for an application, for `release status`. */
export function appLine(app: ReleaseApp): string {
  return `${escapeMrkdwn(app.application)} (wave ${app.wave}) ${stateText(app.status)}${app.message ? ` — ${escapeMrkdwn(app.message)}` : ''}`;
}
