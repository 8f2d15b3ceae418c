import { Cron } from 'croner';
import { Blocks, Elements, Md } from 'slack-block-builder';
import { clipText } from '../../core/text.ts';
import { formatTime } from '../../core/time.ts';
import { blocks, type Message } from '../../pipeline/message.ts';
import { withMentions } from '../../pipeline/people.ts';
import {
  codeText,
  escapeMrkdwn,
  lineSections,
  PAGE_ACTION,
  RUN_ACTION,
  SECTION_TEXT_LIMIT,
  VIEW_ACTION,
} from '../../pipeline/views/common.ts';
import { quoteArg } from '../../pipeline/views/modal.ts';
import type { DatasetRow } from './datasetService.ts';
import { type DatasetStatus, STATUS_ORDER, type StatusCode } from './datasetStatus.ts';
import { ago, humanDuration } from './humanDuration.ts';
import type { CronRun, ProducerState } from './types.ts';

export const STATUS_ICON: Record<StatusCode, string> = {
  failed: '🔴',
  late: '🟠',
  unknown: '⚪',
  ok: '🟢',
};

const RUN_ICON: Record<CronRun['phase'], string> = {
  Succeeded: '✅',
  Failed: '❌',
  Error: '❌',
  Running: '⏳',
  Pending: '⏳',
  Unknown: '❔',
};

/** One line saying why a dataset has its status: what is wrong, and for how long. */
export function describeStatus(row: DatasetRow, now: Date): string {
  const s: DatasetStatus = row.status;
  const sla = row.catalog?.freshnessSlaMs;
  const updated = s.freshAt ? `updated ${ago(now, s.freshAt)}` : null;
  const lateBy = s.lateByMs !== null ? `late by ${humanDuration(s.lateByMs)}` : null;
  const running = s.running ? 'a run is in progress' : null;
  const join = (...parts: (string | null)[]) => parts.filter(Boolean).join('; ');
  switch (s.cause) {
    case 'submission-error':
      return join(`cannot start runs: ${row.producer?.submissionError ?? 'submission error'}`, lateBy);
    case 'run-failed': {
      const run = s.lastFinished;
      const when = run?.finishedAt ? ` ${ago(now, run.finishedAt)}` : '';
      return join(`last run ${run?.phase === 'Error' ? 'errored' : 'failed'}${when}`, lateBy, running);
    }
    case 'past-sla':
      return join(
        `${lateBy} (${updated ?? 'never updated'}, SLA ${sla ? humanDuration(sla) : '?'})`,
        running,
      );
    case 'within-sla':
      return `${updated}, within its ${sla ? humanDuration(sla) : '?'} SLA`;
    case 'last-run-succeeded': {
      const at = s.lastFinished?.finishedAt;
      return `last run succeeded${at ? ` ${ago(now, at)}` : ''} (no freshness SLA in the catalog)`;
    }
    case 'producer-missing':
      return `CronWorkflow ${row.producerRef?.namespace}/${row.producerRef?.cronWorkflow} not found in Argo Workflows`;
    case 'no-information':
      return row.catalog
        ? 'nothing to judge by: no freshness SLA or last-updated time, and no producer run'
        : 'nothing to judge by: not in the catalog read, and no producer run';
  }
}

export function runLine(run: CronRun, now: Date): string {
  const started = run.startedAt ? `started ${formatTime(run.startedAt)}` : 'not started';
  const took =
    run.startedAt && run.finishedAt
      ? `took ${humanDuration(run.finishedAt.getTime() - run.startedAt.getTime())}`
      : run.startedAt
        ? `running for ${humanDuration(now.getTime() - run.startedAt.getTime())}`
        : null;
  const message = run.message && run.phase !== 'Succeeded' ? ` — ${run.message.slice(0, 200)}` : '';
  return `${RUN_ICON[run.phase]} ${run.phase} · ${run.name} · ${[started, took].filter(Boolean).join(' · ')}${message}`;
}

/** `0 2 * * * (Europe/Berlin), next 2026-11-22 01:00 UTC`; Argo's robfig-style schedules. */
export function describeSchedule(
  producer: ProducerState,
  now: Date,
  code: (pattern: string) => string = (p) => p,
): string {
  if (producer.schedules.length === 0) return 'no schedule';
  const patterns = producer.schedules.map(code).join(', ');
  const zone = producer.timezone ? ` (${producer.timezone})` : ' (UTC)';
  if (producer.suspended) return `${patterns}${zone}, suspended`;
  const next = producer.schedules
    .map((pattern) => {
      try {
        return new Cron(pattern, { paused: true, timezone: producer.timezone ?? 'UTC' }).nextRun(now);
      } catch {
        // A pattern croner does not read (`@every 1h`) is still worth showing as written.
        return null;
      }
    })
    .filter((d): d is Date => d instanceof Date)
    .sort((a, b) => a.getTime() - b.getTime())[0];
  return `${patterns}${zone}${next ? `, next ${formatTime(next)}` : ''}`;
}

/** Slack's limit on one field of a section is 2,000 characters. */
const FIELD_MAX = 1990;

/** A configured quick action the caller may run on a dataset, as a button. */
export interface QuickButton {
  label: string;
  command: string;
}

/** `dataset <name>`: its status, its catalog fields, its last runs and the buttons the caller may use. */
export function datasetMessage(input: {
  row: DatasetRow;
  notices: readonly string[];
  asOf: Date;
  now: Date;
  quickButtons: readonly QuickButton[];
  /** The team's whole list, when the caller may read every dataset. */
  teamButton: boolean;
}): Message {
  const { row, now, notices } = input;
  const c = row.catalog;
  const s = row.status;
  const headline = `${STATUS_ICON[s.code]} ${s.code} — ${describeStatus(row, now)}`;
  // [label, plain text, mrkdwn]: the schedule is code in Slack, where `*` would mean bold.
  const fields: [string, string, string?][] = [
    ['Team', c?.team ?? '—'],
    ['Owner', c?.owner ?? '—'],
    ['Last updated', s.freshAt ? `${formatTime(s.freshAt)} (${ago(now, s.freshAt)})` : 'unknown'],
    ['Freshness SLA', c?.freshnessSlaMs ? humanDuration(c.freshnessSlaMs) : 'none'],
    [
      s.lateByMs !== null ? 'Late since' : 'Due by',
      s.dueAt ? `${formatTime(s.dueAt)}${s.lateByMs !== null ? ` (${humanDuration(s.lateByMs)})` : ''}` : '—',
    ],
    ['Tags', c?.tags.length ? c.tags.join(', ') : '—'],
  ];
  if (row.producerRef) {
    fields.push(['Producer', `CronWorkflow ${row.producerRef.namespace}/${row.producerRef.cronWorkflow}`]);
    if (row.producer?.found)
      fields.push([
        'Schedule',
        describeSchedule(row.producer, now),
        describeSchedule(row.producer, now, (p) => codeText(p)),
      ]);
  }
  const extra: [string, string][] = Object.entries(c?.extra ?? {});
  const runs = row.producer?.runs ?? [];
  const runLines = runs.map((r) => runLine(r, now));
  if (row.producer?.found && row.producer.active > 0 && !runs.some((r) => r.phase === 'Running'))
    runLines.unshift(`⏳ ${row.producer.active} run(s) active`);
  const buttons = [
    ...input.quickButtons.map((qa) =>
      Elements.Button({ text: qa.label, actionId: RUN_ACTION, value: qa.command }),
    ),
    ...(c?.team && input.teamButton
      ? [
          Elements.Button({
            text: `All of ${c.team}`.slice(0, 75),
            actionId: VIEW_ACTION,
            value: `datasets team=${quoteArg(c.team)}`,
          }),
        ]
      : []),
  ];
  const freshness = `as of ${ago(now, input.asOf)}`;
  const fieldText = (pairs: [string, string, string?][]) =>
    pairs.map(([k, v, md]) =>
      // Slack refuses a field over 2,000 characters; catalog values (tags, extras) have no bound.
      clipText(`${Md.bold(escapeMrkdwn(clipText(k, 100)))}\n${md ?? escapeMrkdwn(v)}`, FIELD_MAX),
    );
  const text = [
    `${row.name}: ${headline}`,
    ...fields.map(([k, v]) => `${k}: ${v}`),
    ...extra.map(([k, v]) => `${k}: ${v}`),
    ...(c?.description ? [c.description] : []),
    ...(runLines.length ? ['Last runs:', ...runLines] : []),
    ...notices,
    freshness,
  ].join('\n');
  return {
    // Escaped whole: with the requesters' mentions in it, Slack reads the fallback as mrkdwn.
    text: withMentions(escapeMrkdwn(text)),
    blocks: blocks(
      Blocks.Header({ text: row.name.slice(0, 150) }),
      Blocks.Section({ text: clipText(escapeMrkdwn(headline), SECTION_TEXT_LIMIT) }),
      notices.length > 0 && Blocks.Section({ text: notices.map((n) => `⚠️ ${escapeMrkdwn(n)}`).join('\n') }),
      Blocks.Section().fields(fieldText(fields.slice(0, 10))),
      extra.length > 0 && Blocks.Section().fields(fieldText(extra.slice(0, 10))),
      c?.description
        ? Blocks.Section({ text: clipText(escapeMrkdwn(c.description.slice(0, 2000)), SECTION_TEXT_LIMIT) })
        : undefined,
      ...(runLines.length
        ? lineSections([Md.bold('Last runs'), ...runLines.map((l) => withMentions(escapeMrkdwn(l)))], 2)
        : []),
      Blocks.Context().elements(freshness),
      buttons.length > 0 && Blocks.Actions().elements(...buttons),
    ),
  };
}

/** `datasets` when no dataset matches: the sentence saying so, and the sources' notices. */
export function noDatasetsMessage(text: string, notices: readonly string[]): Message {
  const noticeLines = notices.map((n) => `⚠️ ${escapeMrkdwn(n)}`);
  return {
    text: [text, ...notices].join('\n'),
    blocks: blocks(
      Blocks.Section({ text: escapeMrkdwn(text) }),
      noticeLines.length > 0 && Blocks.Section({ text: noticeLines.join('\n') }),
    ),
  };
}

/** One page of `datasets`: the counts by status over all that matched, then the page's rows. */
export function datasetsPageMessage(input: {
  filters: string;
  found: readonly DatasetRow[];
  shown: readonly DatasetRow[];
  page: number;
  pages: number;
  /** Said when the page asked for no longer exists. */
  moved: string;
  notices: readonly string[];
  freshness: string;
  now: Date;
  /** Whether a row gets a Details button (the caller may read it). */
  mayOpen: (row: DatasetRow) => boolean;
  previousCommand?: string | undefined;
  nextCommand?: string | undefined;
}): Message {
  const { filters, found, shown, page, pages, moved, freshness, now } = input;
  const noticeLines = input.notices.map((n) => `⚠️ ${escapeMrkdwn(n)}`);
  const counts = STATUS_ORDER.map(
    (code) => [code, found.filter((r) => r.status.code === code).length] as const,
  )
    .filter(([, n]) => n > 0)
    .map(([code, n]) => `${STATUS_ICON[code]} ${n} ${code}`)
    .join(' · ');
  const title = `Datasets${filters ? ` (${filters})` : ''}: ${found.length} · page ${page} of ${pages}`;
  // A producer's error message has no bound of its own; a row is one section (3,000 characters).
  const line = (row: DatasetRow) =>
    clipText(
      `${STATUS_ICON[row.status.code]} ${Md.bold(escapeMrkdwn(row.name))} · ${escapeMrkdwn(row.catalog?.team ?? '—')} · ${row.status.code} — ${escapeMrkdwn(describeStatus(row, now))}`,
      SECTION_TEXT_LIMIT,
    );
  const plain = (row: DatasetRow) =>
    `${STATUS_ICON[row.status.code]} ${row.name} · ${row.catalog?.team ?? '—'} · ${row.status.code} — ${describeStatus(row, now)}`;
  const navigation = [
    input.previousCommand !== undefined &&
      Elements.Button({ text: '‹ Previous', actionId: PAGE_ACTION, value: input.previousCommand }),
    input.nextCommand !== undefined &&
      Elements.Button({ text: 'Next ›', actionId: PAGE_ACTION, value: input.nextCommand }),
  ].filter((b) => b !== false);
  return {
    text: [title + moved, counts, ...shown.map(plain), ...input.notices, freshness].join('\n'),
    blocks: blocks(
      Blocks.Section({ text: `${Md.bold(escapeMrkdwn(title))}${escapeMrkdwn(moved)}\n${counts}` }),
      noticeLines.length > 0 && Blocks.Section({ text: noticeLines.join('\n') }),
      ...shown.map((row) => {
        const section = Blocks.Section({ text: line(row) });
        return input.mayOpen(row)
          ? section.accessory(
              Elements.Button({
                text: 'Details',
                actionId: VIEW_ACTION,
                value: `dataset ${quoteArg(row.name)}`,
              }),
            )
          : section;
      }),
      Blocks.Context().elements(`${freshness} · ${codeText('dataset <name>')} shows runs, owner and actions`),
      navigation.length > 0 && Blocks.Actions().elements(...navigation),
    ),
  };
}

/** A late dataset's alert in its team's channel: what is late and since when, the producer's runs, Backfill. */
export function lateAlertMessage(input: {
  row: DatasetRow;
  now: Date;
  /** The command the Backfill button runs (`backfill <name> task=<task>`); null: no button. */
  backfillCommand: string | null;
}): Message {
  const { row, now } = input;
  const s = row.status;
  const c = row.catalog;
  const sla = c?.freshnessSlaMs ? humanDuration(c.freshnessSlaMs) : '?';
  const title = `${STATUS_ICON.late} ${row.name} is late`;
  const since = [
    `Last updated ${s.freshAt ? `${formatTime(s.freshAt)} (${ago(now, s.freshAt)})` : 'never'}`,
    `freshness SLA ${sla}`,
    s.dueAt
      ? `late since ${formatTime(s.dueAt)}${s.lateByMs !== null ? ` (${humanDuration(s.lateByMs)})` : ''}`
      : null,
  ]
    .filter(Boolean)
    .join(' · ');
  const who = [
    c?.team ? `Team ${c.team}` : null,
    c?.owner ? `owner ${c.owner}` : null,
    row.producerRef
      ? `producer CronWorkflow ${row.producerRef.namespace}/${row.producerRef.cronWorkflow}`
      : null,
  ]
    .filter(Boolean)
    .join(' · ');
  const cause =
    s.code === 'failed'
      ? `Also: ${describeStatus(row, now)}`
      : row.producer?.suspended
        ? 'Its producer CronWorkflow is suspended: no run starts until it is resumed.'
        : null;
  const runs = row.producer?.runs ?? [];
  const runLines = runs.map((r) => runLine(r, now));
  const noRuns = row.producerRef
    ? row.producer
      ? row.producer.found
        ? 'The producer has no recent runs.'
        : 'The producer CronWorkflow is not in Argo Workflows.'
      : 'The producer’s runs could not be read.'
    : 'No producer is mapped for this dataset (datasets.producers).';
  const buttons = [
    ...(input.backfillCommand
      ? [Elements.Button({ text: 'Backfill', actionId: RUN_ACTION, value: input.backfillCommand }).primary()]
      : []),
    Elements.Button({ text: 'Details', actionId: VIEW_ACTION, value: `dataset ${quoteArg(row.name)}` }),
  ];
  const text = [
    title,
    since,
    ...(who ? [who] : []),
    ...(cause ? [cause] : []),
    ...(runLines.length ? ['Last runs:', ...runLines] : [noRuns]),
  ].join('\n');
  return {
    text: escapeMrkdwn(text),
    blocks: blocks(
      Blocks.Section({
        text: clipText(`${Md.bold(escapeMrkdwn(title))}\n${escapeMrkdwn(since)}`, SECTION_TEXT_LIMIT),
      }),
      who !== '' && Blocks.Context().elements(clipText(escapeMrkdwn(who), SECTION_TEXT_LIMIT)),
      cause !== null && Blocks.Section({ text: clipText(escapeMrkdwn(cause), SECTION_TEXT_LIMIT) }),
      ...(runLines.length
        ? lineSections([Md.bold('Last runs'), ...runLines.map((l) => escapeMrkdwn(l))], 2)
        : [Blocks.Section({ text: escapeMrkdwn(noRuns) })]),
      Blocks.Actions().elements(...buttons),
    ),
  };
}

/** The alert once the data is fresh again: the same message, edited, without its buttons. */
export function freshAgainMessage(input: {
  dataset: string;
  /** The last-updated time that had gone stale. */
  lateSince: Date;
  dueAt: Date | null;
  /** The new last-updated time; null when only the lateness's end is known. */
  freshAt: Date | null;
  /** Refreshed, but past its SLA again already: a new alert follows. */
  lateAgain?: boolean;
}): Message {
  const since = input.freshAt ? ` ${formatTime(input.freshAt)}` : '';
  const title = input.lateAgain
    ? `${STATUS_ICON.late} ${input.dataset} was updated${since}, but is late again (a new alert follows)`
    : `${STATUS_ICON.ok} ${input.dataset} is fresh again${since ? ` since${since}` : ''}`;
  const was = `It was late${input.dueAt ? ` from ${formatTime(input.dueAt)}` : ''}, last updated ${formatTime(input.lateSince)} until then.`;
  return {
    text: escapeMrkdwn(`${title}\n${was}`),
    blocks: blocks(
      Blocks.Section({ text: `${Md.bold(escapeMrkdwn(title))}\n${escapeMrkdwn(was)}` }),
      Blocks.Context().elements(`${codeText(`dataset ${quoteArg(input.dataset)}`)} shows it now`),
    ),
  };
}

/** `backfill` where no form can open (the console, the CLI): the command that runs it, and why those days. */
export function backfillFormText(command: string, note: string): Message {
  const text = `${note}\nRun: ${command}`;
  return {
    text: escapeMrkdwn(text),
    blocks: blocks(
      Blocks.Section({ text: clipText(escapeMrkdwn(note), SECTION_TEXT_LIMIT) }),
      Blocks.Section({ text: `Run: ${codeText(command)}` }),
    ),
  };
}
