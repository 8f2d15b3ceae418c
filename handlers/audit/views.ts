import { Blocks, Elements, Md } from 'slack-block-builder';
import { blocks, type Message } from '../../pipeline/message.ts';
import { codeText, escapeMrkdwn, lineSections, PAGE_ACTION } from '../../pipeline/views/common.ts';

/** 50 rows of the longest lines fill about 11 sections; more room than that is never needed. */
const SECTIONS_SHOWN = 20;

/** One page of `audit`: its rows as lines, and the commands of the pages around it. */
export interface AuditPageView {
  /** What follows "Audit log": the filters, the count, the range. */
  details: string;
  lines: readonly string[];
  /** The rows after this page, and the command that shows the next of them. */
  older?: { count: number; command: string } | undefined;
  previousCommand?: string | undefined;
  nextCommand?: string | undefined;
}

export function auditPageMessage(view: AuditPageView): Message {
  const { details, lines, older } = view;
  const title = `Audit log${details}`;
  const navigation = [
    view.previousCommand !== undefined &&
      Elements.Button({ text: '‹ Previous', actionId: PAGE_ACTION, value: view.previousCommand }),
    view.nextCommand !== undefined &&
      Elements.Button({ text: 'Next ›', actionId: PAGE_ACTION, value: view.nextCommand }),
  ].filter((b) => b !== false);
  const more = older ? `${older.count} older record(s): ${older.command}` : undefined;
  return {
    text: [title, ...lines, ...(more ? [more] : [])].join('\n'),
    blocks: blocks(
      // Only the words are bold: an action pattern's `*` (workers.*) would end a bold title early.
      Blocks.Section({ text: `${Md.bold('Audit log')}${escapeMrkdwn(details)}` }),
      ...lineSections(
        lines.map((l) => escapeMrkdwn(l)),
        SECTIONS_SHOWN,
      ),
      Blocks.Context().elements(
        [
          ...(older ? [`${older.count} older: ${codeText(older.command)}`] : []),
          `Full history: ${codeText('dpbot audit export --since 7d')}`,
        ].join(' · '),
      ),
      navigation.length > 0 && Blocks.Actions().elements(...navigation),
    ),
  };
}
