import { Blocks, Elements, Md } from 'slack-block-builder';
import { formatTime } from '../../core/time.ts';
import { blocks, type Message } from '../../pipeline/message.ts';
import { codeText, escapeMrkdwn, lineSections, PAGE_ACTION } from '../../pipeline/views/common.ts';
import type { ChangeEntry, ChangeLink, SourceFailure, TimelinePage } from './timeline.ts';

/** A page of 50 lines with links fills about 8 sections. */
const SECTIONS_SHOWN = 20;

/** One page of `changes`: the entries, the sources that could not be read, the pages around it. */
export interface ChangesPageView {
  /** `team team-x`, `service orders-api`. */
  subject: string;
  since: Date;
  page: TimelinePage;
  failures: readonly SourceFailure[];
  previousCommand?: string | undefined;
  nextCommand?: string | undefined;
}

function linkText(link: ChangeLink | undefined): string {
  if (!link) return '';
  return 'audit' in link ? ` · audit #${link.audit}` : ` · ${link.label}: ${link.url}`;
}

function linkMrkdwn(link: ChangeLink | undefined): string {
  if (!link) return '';
  return 'audit' in link ? ` · audit #${link.audit}` : ` · <${link.url}|${escapeMrkdwn(link.label)}>`;
}

const lineOf = (e: ChangeEntry) => `${formatTime(e.at)} · ${e.who} · ${e.what}`;

export function failureLine(f: SourceFailure): string {
  return `${f.system.charAt(0).toUpperCase()}${f.system.slice(1)} could not be read: ${f.error}`;
}

export function changesPageMessage(view: ChangesPageView): Message {
  const { page } = view;
  const range =
    page.total > page.entries.length
      ? ` · newest first, ${page.first}–${page.first + page.entries.length - 1} · page ${page.page} of ${page.pages}`
      : page.total > 0
        ? ' · newest first'
        : '';
  const past = page.pastEnd ? ' (there is no such page; this is the last)' : '';
  const details = ` to ${view.subject} since ${formatTime(view.since)}: ${page.total} change(s)${range}${past}`;
  const failures = view.failures.map(failureLine);
  const empty = page.total === 0 ? ['Nothing changed in this window that dpbot can see.'] : [];
  const navigation = [
    view.previousCommand !== undefined &&
      Elements.Button({ text: '‹ Previous', actionId: PAGE_ACTION, value: view.previousCommand }),
    view.nextCommand !== undefined &&
      Elements.Button({ text: 'Next ›', actionId: PAGE_ACTION, value: view.nextCommand }),
  ].filter((b) => b !== false);
  return {
    text: [
      `Changes${details}`,
      ...failures.map((f) => `⚠️ ${f}`),
      ...page.entries.map((e) => `${lineOf(e)}${linkText(e.link)}`),
      ...empty,
      ...(view.nextCommand ? [`Older: ${view.nextCommand}`] : []),
    ].join('\n'),
    blocks: blocks(
      Blocks.Section({ text: `${Md.bold('Changes')}${escapeMrkdwn(details)}` }),
      failures.length > 0 &&
        Blocks.Context().elements(failures.map((f) => `:warning: ${escapeMrkdwn(f)}`).join('\n')),
      ...lineSections(
        [...page.entries.map((e) => `${escapeMrkdwn(lineOf(e))}${linkMrkdwn(e.link)}`), ...empty],
        SECTIONS_SHOWN,
      ),
      Blocks.Context().elements(
        `Sources: dpbot's audit log, Argo CD history, Kubernetes managed fields and events (kept an hour), task runs, scheduled workflows · ${codeText('audit')} for dpbot's whole log`,
      ),
      navigation.length > 0 && Blocks.Actions().elements(...navigation),
    ),
  };
}
