import { Blocks, Elements, Md } from 'slack-block-builder';
import { z } from 'zod';
import { joinWithin } from '../../../core/text.ts';
import { blocks } from '../../../pipeline/message.ts';
import { nameWithEmail } from '../../../pipeline/people.ts';
import {
  codeText,
  escapeMrkdwn,
  lineSections,
  PAGE_ACTION,
  SECTION_TEXT_LIMIT,
} from '../../../pipeline/views/common.ts';
import { defineCommand } from '../deps.ts';
import { describeGrant } from '../views.ts';

/** Grants on one page of `whoami`: about 300 characters each, so a page fits one message. */
export const GRANTS_PER_PAGE = 40;
/** Groups are listed whole by whoami up to this much text (some 150 groups); App Home shows fewer. */
const GROUPS_TEXT = 3 * SECTION_TEXT_LIMIT;

export const whoami = defineCommand({
  name: 'whoami',
  summary: 'Show who dpbot thinks you are, your groups and what you may do',
  usage: 'whoami [page=N]',
  examples: ['whoami'],
  description: `Your grants are listed ${GRANTS_PER_PAGE} to a page.`,
  params: { keyValues: ['page'] },
  args: z.object({ page: z.coerce.number().int().min(1).max(10_000).default(1) }),
  run: (args, ctx) => {
    const { caller } = ctx;
    const who = nameWithEmail(caller);
    const grants = caller.grants.map(describeGrant);
    const pages = Math.max(1, Math.ceil(grants.length / GRANTS_PER_PAGE));
    // Past the end (a typo, or a Next button after grants were removed) shows the last page.
    const page = Math.min(args.page, pages);
    const first = (page - 1) * GRANTS_PER_PAGE;
    const shownGrants = grants.slice(first, first + GRANTS_PER_PAGE);
    // The plain text is held to as much as the blocks show, so a message stays under Slack's 40,000.
    const plainGroups = joinWithin(caller.groups, GROUPS_TEXT);
    const groups = caller.groups.length
      ? `${plainGroups.text}${plainGroups.left > 0 ? ` and ${plainGroups.left} more` : ''}`
      : 'none';
    const groupList = joinWithin(caller.groups.map(escapeMrkdwn), GROUPS_TEXT);
    const groupsMore = groupList.left > 0 ? ` and ${groupList.left} more` : '';
    const groupsTitle = `${Md.bold('Groups')} (${caller.groups.length})`;
    const rest = grants.length - first - shownGrants.length;
    const past = args.page > pages && grants.length > 0 ? `; there is no page ${args.page}` : '';
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
        ...(caller.groups.length
          ? lineSections([groupsTitle, ...splitJoined(`${groupList.text}${groupsMore}`)], 3)
          : [Blocks.Section({ text: `${groupsTitle}: none` })]),
        Blocks.Section({ text: `${Md.bold('You may')}${escapeMrkdwn(range)}` }),
        ...(grants.length
          ? lineSections(shownGrants.map((g) => `• ${g}`))
          : [
              Blocks.Section({
                text: `nothing yet: ask ${escapeMrkdwn(ctx.deps.config.access.adminContact)} for access`,
              }),
            ]),
        rest > 0 && Blocks.Context().elements(`and ${rest} more: ${codeText(next)}`),
        navigation.length > 0 && Blocks.Actions().elements(...navigation),
      ),
    };
  },
});

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
