import { Blocks, Elements, Md } from 'slack-block-builder';
import { blocks, type Message } from '../../../pipeline/message.ts';
import { codeText, escapeMrkdwn, lineSections, RUN_ACTION } from '../../../pipeline/views/common.ts';

/** A button in the release thread that rolls an application back to what ran before the release. */
export function rollbackButtonMessage(releaseId: number, application: string, what?: string): Message {
  return {
    text: `${what ? `${what} ` : ''}Roll back ${application}: release rollback ${application} --release ${releaseId}`,
    visibility: 'in_channel',
    blocks: blocks(
      Blocks.Section({
        text: `${what ? `${escapeMrkdwn(what)} ` : ''}Roll back ${codeText(application)} to what ran before this release?`,
      }),
      Blocks.Actions().elements(
        Elements.Button({
          text: `Rollback ${application}`,
          actionId: RUN_ACTION,
          value: `release rollback ${application} --release ${releaseId}`,
        }).danger(),
      ),
    ),
  };
}

/** The service thread's reminder to its owners, with Include and Skip buttons. */
export function ownerReminderMessage(releaseId: number, service: string): Message {
  return {
    text: `Still waiting for a decision on ${service}.`,
    visibility: 'in_channel',
    blocks: blocks(
      Blocks.Section({ text: `Still waiting for a decision on ${Md.bold(service)}.` }),
      Blocks.Actions().elements(
        Elements.Button({
          text: 'Include',
          actionId: RUN_ACTION,
          value: `release include ${service} --release ${releaseId}`,
        }).primary(),
        Elements.Button({
          text: 'Skip',
          actionId: RUN_ACTION,
          value: `release skip ${service} --release ${releaseId}`,
        }),
      ),
    ),
  };
}

/** The weekly reminder: a Start button, or Status when a release is still open. */
export function weeklyReminderMessage(active: { id: number; status: string } | undefined): Message {
  const text = active
    ? `It is release time, but release #${active.id} is still ${active.status}.`
    : 'It is release time: start the weekly release to collect what merged and ask owners what ships.';
  return {
    text,
    visibility: 'in_channel',
    blocks: blocks(
      Blocks.Section({ text }),
      Blocks.Actions().elements(
        active
          ? Elements.Button({ text: 'Status', actionId: RUN_ACTION, value: `release status ${active.id}` })
          : Elements.Button({
              text: 'Start the release',
              actionId: RUN_ACTION,
              value: 'release start',
            }).primary(),
      ),
    ),
  };
}

/** What the tracker did at ship time, and the issues it could not set the version on. */
export function shipReportMessage(note: string, lines: readonly string[]): Message {
  return {
    text: [note, ...lines].join('\n'),
    visibility: 'in_channel',
    blocks: blocks(
      Blocks.Section({ text: escapeMrkdwn(note) }),
      ...lineSections(lines.map(escapeMrkdwn), 5),
      lines.length > 0 &&
        Blocks.Context().elements(
          'Set the version on these issues in Jira by hand, or fix the cause and ship again: issues that already have it are left alone.',
        ),
    ),
  };
}

/** The App Home's release panel: one sentence on where the release stands. */
export function releasePanel(text: string) {
  return [
    Blocks.Divider(),
    Blocks.Section({ text: `${Md.bold('Weekly release')}\n${escapeMrkdwn(text)}` }),
    Blocks.Context().elements(`${codeText('/dp release status')} for the details`),
  ];
}

/** `release history`: a line per release. */
export function historyMessage(lines: readonly string[]): Message {
  return {
    text: ['Releases:', ...lines].join('\n'),
    blocks: blocks(Blocks.Section({ text: Md.bold('Releases') }), ...lineSections(lines.map(escapeMrkdwn))),
  };
}

/** `release start`'s reply: what was collected, per service, and what lacks a Jira key. */
export function startedMessage(title: string, lines: readonly string[], footer: readonly string[]): Message {
  return {
    text: [title, ...lines, ...footer].join('\n'),
    blocks: blocks(
      Blocks.Section({ text: Md.bold(escapeMrkdwn(title)) }),
      ...lineSections(lines.map(escapeMrkdwn)),
      Blocks.Context().elements(escapeMrkdwn(footer.join(' · '))),
    ),
  };
}

/**
 * `release status`: the release message, then its deployments (mrkdwn lines) and what Argo CD
 * runs now (plain lines); `text` is the whole as plain text.
 */
export function statusMessage(
  release: Message,
  text: string,
  deployments: readonly string[],
  runs: readonly string[],
): Message {
  return {
    text,
    blocks: [
      ...(release.blocks ?? []),
      ...blocks(
        ...(deployments.length
          ? [Blocks.Section({ text: Md.bold('Deployments') }), ...lineSections(deployments)]
          : []),
        ...(runs.length
          ? [
              Blocks.Section({ text: Md.bold('What runs now (Argo CD)') }),
              ...lineSections(runs.map(escapeMrkdwn)),
            ]
          : []),
      ),
    ],
  };
}
