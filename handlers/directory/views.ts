import { Blocks, Elements, Md } from 'slack-block-builder';
import { joinWithin } from '../../core/text.ts';
import { blocks, type Message } from '../../pipeline/message.ts';
import {
  codeText,
  escapeMrkdwn,
  lineSections,
  PAGE_ACTION,
  SECTION_TEXT_LIMIT,
  VIEW_ACTION,
} from '../../pipeline/views/common.ts';
import type { Grant } from '../../policies/decide.ts';

/**
 * One grant as a line of mrkdwn, as `whoami` and App Home list it; patterns are code spans, since
 * `*` would otherwise mean bold.
 */
export function describeGrant(g: Grant): string {
  const code = (items: readonly string[]) => items.map((i) => `\`${i}\``).join(', ');
  const limits = Object.entries(g.limits).map(([k, v]) => `${k} ${v}`);
  const via = g.subject.kind === 'group' ? `via ${escapeMrkdwn(g.subject.name)}` : 'granted to you';
  const extra = [
    ...(limits.length ? [`limits: ${limits.join(', ')}`] : []),
    ...(g.approval ? [`needs approval by ${g.approval.count} of ${escapeMrkdwn(g.approval.group)}`] : []),
  ];
  return `${code(g.actions)} on ${code(g.resources)} (${via}${extra.length ? `; ${extra.join('; ')}` : ''})`;
}

/** The admin channel's notice of a directory sync that failed (a refusal is an approval request instead). */
export function syncProblemMessage(input: {
  source: string;
  describe: string;
  error: string | undefined;
}): Message {
  const title = `Directory sync of ${input.source} failed: nothing was changed`;
  const lines = [`• ${input.error ?? 'unknown error'}`];
  const next = `The next scheduled sync tries again. Source: ${input.describe}.`;
  return {
    text: [title, ...lines, next].join('\n'),
    visibility: 'in_channel',
    blocks: blocks(
      Blocks.Section({ text: `${Md.bold(escapeMrkdwn(title))}\n${lines.map(escapeMrkdwn).join('\n')}` }),
      Blocks.Context().elements(escapeMrkdwn(next)),
    ),
  };
}

/** Lines of a held change shown in its approval request; the rest are counted. */
const HELD_LINES = 40;

/**
 * The admin channel's request to approve an access change the guards held: what would change
 * (people × action × resource, then the directory's own lines), why it was held, and Approve /
 * Deny. The buttons run `access approve|deny <target> <id>`, authorized like any command.
 */
export function holdRequestMessage(input: {
  /** "Directory sync of google", "Policy reload". */
  title: string;
  target: string;
  holdId: string;
  problems: readonly string[];
  headline: string;
  lines: readonly string[];
  requestedBy: string | null;
  twoPerson: boolean;
}): Message {
  const { title, target, holdId } = input;
  const heading = `${title} held for approval: nothing was changed`;
  const shown = input.lines.slice(0, HELD_LINES);
  const more = input.lines.length - shown.length;
  const who = input.requestedBy ? `Asked for by ${input.requestedBy}` : 'Found by a scheduled run';
  const rule = input.twoPerson && input.requestedBy ? '; someone else must approve it' : '';
  const footer = `${who}${rule}. Approve applies exactly this change; if it has changed since, nothing is applied and a new request is posted. Or: \`access approve ${target} ${holdId}\`.`;
  const text = [
    heading,
    ...input.problems.map((p) => `• ${p}`),
    input.headline,
    ...shown,
    ...(more > 0 ? [`… and ${more} more (dpbot sync --dry-run lists them all)`] : []),
    footer,
  ];
  return {
    text: text.join('\n'),
    visibility: 'in_channel',
    blocks: blocks(
      Blocks.Section({
        text: `${Md.bold(escapeMrkdwn(heading))}\n${input.problems.map((p) => `• ${escapeMrkdwn(p)}`).join('\n')}`,
      }),
      Blocks.Section({ text: escapeMrkdwn(input.headline) }),
      ...lineSections(shown.map(escapeMrkdwn), 6),
      more > 0 && Blocks.Context().elements(`… and ${more} more: \`dpbot sync --dry-run\` lists them all`),
      Blocks.Context().elements(escapeMrkdwn(footer)),
      Blocks.Actions().elements(
        Elements.Button({
          text: 'Approve',
          actionId: VIEW_ACTION,
          value: `access approve ${target} ${holdId}`,
        }).primary(),
        Elements.Button({
          text: 'Deny',
          actionId: VIEW_ACTION,
          value: `access deny ${target} ${holdId}`,
        }).danger(),
      ),
    ),
  };
}

/** The approval request once decided: who decided, and what happened. */
export function holdDecidedMessage(input: { title: string; decision: string }): Message {
  const text = `${input.title}: ${input.decision}`;
  return {
    text,
    visibility: 'in_channel',
    blocks: blocks(Blocks.Section({ text: escapeMrkdwn(text) })),
  };
}

/** `access status`: one line (or a few) per configured source. */
export function accessStatusMessage(sourceCount: number, lines: readonly string[]): Message {
  const title = `Directory sources: ${sourceCount}`;
  return {
    text: [title, ...lines].join('\n'),
    blocks: blocks(
      Blocks.Section({ text: Md.bold(title) }),
      ...lineSections(lines.map((l) => escapeMrkdwn(l))),
      Blocks.Context().elements('`access sync [source] --dry-run` shows what a sync would change now.'),
    ),
  };
}

/** `access sync`'s result: the lines of every source synced. */
export function syncResultMessage(lines: readonly string[], dryRun: boolean): Message {
  const title = dryRun ? 'Directory sync (dry run: nothing applied)' : 'Directory sync';
  return {
    text: [title, ...lines].join('\n'),
    blocks: blocks(
      Blocks.Section({ text: Md.bold(title) }),
      ...lineSections(lines.map((l) => escapeMrkdwn(l))),
      Blocks.Context().elements(
        dryRun
          ? 'Apply with `access sync` (a removal over the guard waits for an admin’s approval). `dpbot sync --dry-run` prints every line.'
          : '`access status` shows the last sync of every source.',
      ),
    ),
  };
}

/** A notice of one paragraph, escaped. */
export function plainMessage(text: string): Message {
  return { text, blocks: blocks(Blocks.Section({ text: escapeMrkdwn(text) })) };
}

/** `who-can`: one page of the grants that allow an action, each a line. */
export function whoCanMessage(input: {
  target: string;
  /** Nothing on one page; "(30 grants; 1–25, page 1 of 2)" when there are more. */
  range: string;
  lines: readonly string[];
  rest: number;
  previousCommand?: string | undefined;
  nextCommand: string;
  hasNext: boolean;
}): Message {
  const { target, range, lines, rest, nextCommand: next } = input;
  const navigation = [
    input.previousCommand !== undefined &&
      Elements.Button({ text: '‹ Previous', actionId: PAGE_ACTION, value: input.previousCommand }),
    input.hasNext && Elements.Button({ text: 'Next ›', actionId: PAGE_ACTION, value: next }),
  ].filter((b) => b !== false);
  return {
    text: [`Who may ${target}${range}:`, ...lines, ...(rest > 0 ? [`and ${rest} more: ${next}`] : [])].join(
      '\n',
    ),
    blocks: blocks(
      Blocks.Section({ text: `${Md.bold(`Who may ${escapeMrkdwn(target)}`)}${escapeMrkdwn(range)}` }),
      ...lineSections(
        lines.map((l) => `• ${l}`),
        20,
      ),
      rest > 0 && Blocks.Context().elements(`and ${rest} more: ${codeText(next)}`),
      navigation.length > 0 && Blocks.Actions().elements(...navigation),
    ),
  };
}

/** `who-can` when no grant allows the action. */
export function nobodyMayMessage(target: string): Message {
  return {
    text: `Nobody may ${target}.`,
    blocks: blocks(Blocks.Section({ text: `Nobody may ${escapeMrkdwn(target)}.` })),
  };
}

/** Grants on one page of `whoami`: about 300 characters each, so a page fits one message. */
export const GRANTS_PER_PAGE = 40;
/** Groups are listed whole by whoami up to this much text (some 150 groups); App Home shows fewer. */
const GROUPS_TEXT = 3 * SECTION_TEXT_LIMIT;

/** `whoami`: who the caller is, their groups, and one page of their grants. */
export function whoamiMessage(input: {
  who: string;
  groups: readonly string[];
  grants: readonly Grant[];
  page: number;
  adminContact: string;
}): Message {
  const { who } = input;
  const grants = input.grants.map(describeGrant);
  const pages = Math.max(1, Math.ceil(grants.length / GRANTS_PER_PAGE));
  // Past the end (a typo, or a Next button after grants were removed) shows the last page.
  const page = Math.min(input.page, pages);
  const first = (page - 1) * GRANTS_PER_PAGE;
  const shownGrants = grants.slice(first, first + GRANTS_PER_PAGE);
  // The plain text is held to as much as the blocks show, so a message stays under Slack's 40,000.
  const plainGroups = joinWithin(input.groups, GROUPS_TEXT);
  const groups = input.groups.length
    ? `${plainGroups.text}${plainGroups.left > 0 ? ` and ${plainGroups.left} more` : ''}`
    : 'none';
  const groupList = joinWithin(input.groups.map(escapeMrkdwn), GROUPS_TEXT);
  const groupsMore = groupList.left > 0 ? ` and ${groupList.left} more` : '';
  const groupsTitle = `${Md.bold('Groups')} (${input.groups.length})`;
  const rest = grants.length - first - shownGrants.length;
  const past = input.page > pages && grants.length > 0 ? `; there is no page ${input.page}` : '';
  const range =
    pages > 1 || past
      ? ` (${grants.length}; ${first + 1}–${first + shownGrants.length}, page ${page} of ${pages}${past})`
      : '';
  const next = `whoami page=${page + 1}`;
  const navigation = [
    page > 1 &&
      Elements.Button({ text: '‹ Previous', actionId: PAGE_ACTION, value: `whoami page=${page - 1}` }),
    page < pages && Elements.Button({ text: 'Next ›', actionId: PAGE_ACTION, value: next }),
  ].filter((b) => b !== false);
  return {
    text: [
      `You are ${who}.`,
      `Groups: ${groups}`,
      `You may${range}:`,
      ...(grants.length ? shownGrants : ['nothing yet']),
      ...(rest > 0 ? [`and ${rest} more: ${next}`] : []),
    ].join('\n'),
    blocks: blocks(
      Blocks.Section({ text: `You are ${Md.bold(escapeMrkdwn(who))}.` }),
      ...(input.groups.length
        ? lineSections([groupsTitle, ...splitJoined(`${groupList.text}${groupsMore}`)], 3)
        : [Blocks.Section({ text: `${groupsTitle}: none` })]),
      Blocks.Section({ text: `${Md.bold('You may')}${escapeMrkdwn(range)}` }),
      ...(grants.length
        ? lineSections(shownGrants.map((g) => `• ${g}`))
        : [
            Blocks.Section({
              text: `nothing yet: ask ${escapeMrkdwn(input.adminContact)} for access`,
            }),
          ]),
      rest > 0 && Blocks.Context().elements(`and ${rest} more: ${codeText(next)}`),
      navigation.length > 0 && Blocks.Actions().elements(...navigation),
    ),
  };
}

/** A long comma-separated list as lines short enough for one section each. */
function splitJoined(text: string): string[] {
  const lines: string[] = [];
  let rest = text;
  while (rest.length > SECTION_TEXT_LIMIT) {
    const at = rest.lastIndexOf(', ', SECTION_TEXT_LIMIT - 1);
    const cutAt = at > 0 ? at + 1 : SECTION_TEXT_LIMIT;
    lines.push(rest.slice(0, cutAt));
    rest = rest.slice(cutAt).trimStart();
  }
  lines.push(rest);
  return lines;
}
