import type { KnownBlock } from '@slack/types';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { buildRegistry } from '../../app/app.ts';
import { plainText } from '../../bot/console/renderText.ts';
import { homeView } from '../../bot/views/home.ts';
import { helpCapability } from '../../handlers/help/index.ts';
import type { CommandContext } from '../../pipeline/defineCommand.ts';
import type { Message } from '../../pipeline/message.ts';
import {
  approvalMessage,
  codeText,
  confirmationMessage,
  invalidMessage,
} from '../../pipeline/views/common.ts';
import { callerWith } from '../support/callers.ts';

// Stray backticks (issue 20, item 7): a code span cannot hold a backtick or a line break, and Slack
// reads <…> as markup inside one too, so what is shown as code must be escaped and span-safe.

/** Every mrkdwn text of a message's blocks. */
function mrkdwnOf(blocks: readonly KnownBlock[] | undefined): string[] {
  const texts: string[] = [];
  const visit = (value: unknown): void => {
    if (Array.isArray(value)) value.forEach(visit);
    else if (value && typeof value === 'object') {
      const o = value as { type?: unknown; text?: unknown };
      if (o.type === 'mrkdwn' && typeof o.text === 'string') texts.push(o.text);
      Object.values(o).forEach(visit);
    }
  };
  visit(blocks);
  return texts;
}

/** What Slack would show as literal backticks, or as markup it was not meant to be. */
function problemsOf(message: Message): string[] {
  return mrkdwnOf(message.blocks).flatMap((text) => {
    const outside = text.replace(/```[\s\S]*?```/g, '').replace(/`[^`\n]+`/g, '');
    const problems: string[] = [];
    if (outside.includes('`')) problems.push(`stray backtick in: ${text}`);
    // Outside links, mentions and Slack's own <!…> tokens, < and > must be escaped.
    if (/<(?![@#!]|https?:|mailto:)/.test(text)) problems.push(`unescaped < in: ${text}`);
    return problems;
  });
}

const admin = callerWith(['*']);

const ctx: CommandContext = {
  requestId: 'r',
  entry: 'console',
  channel: null,
  caller: admin,
  decision: null,
  deps: undefined,
  log: pino({ level: 'silent' }),
  reply: async () => ({ update: async () => undefined }),
  openModal: async () => false,
  may: () => true,
  auditStep: async () => {},
};

describe('code in messages', () => {
  const typed = 'task run backfill note="use `x` here" dataset=<sales>';

  it('quotes typed text that a code span cannot hold, and escapes it', () => {
    expect(codeText('scale team-x 8')).toBe('`scale team-x 8`');
    expect(codeText('a <b>')).toBe('`a &lt;b&gt;`');
    expect(codeText('a `b`')).toBe('"a `b`"');
    expect(codeText('')).toBe('');
    const expiresAt = new Date('2026-11-01T10:00:00Z');
    const messages = [
      confirmationMessage({ pendingId: 'p', summary: 's', details: [], commandText: typed, expiresAt }),
      approvalMessage({
        pendingId: 'p',
        requester: 'ada@example.com',
        requesterSlackId: null,
        commandText: typed,
        approverGroup: 'file:leads',
        count: 1,
        expiresAt,
      }),
      invalidMessage('bad', 'task run <task> note="`x`"'),
    ];
    for (const message of messages) expect(problemsOf(message)).toEqual([]);
    // The console shows the quoted text as Slack would, `x` as code.
    expect(plainText(mrkdwnOf(messages[0]?.blocks)[1] ?? '')).toContain(
      '"task run backfill note="use x here" dataset=<sales>"',
    );
  });

  it('help shows every usage and example escaped, in whole code spans', async () => {
    const help = helpCapability
      .bind({ registry: buildRegistry(), sandboxNote: undefined })
      .commands.find((c) => c.name === 'help');
    const overview = await help?.run({}, ctx);
    expect(overview && problemsOf(overview)).toEqual([]);
    for (const topic of [['scale'], ['task', 'run'], ['audit'], ['release', 'rollback']]) {
      const detail = await help?.run({ topic }, ctx);
      expect(detail && problemsOf(detail)).toEqual([]);
    }
    expect(plainText(mrkdwnOf(overview?.blocks).join('\n'))).toContain('scale <team> <replicas>');
  });

  it('App Home shows recent commands and the e-mail escaped', () => {
    const view = homeView({
      caller: admin,
      recent: [
        {
          id: 1,
          at: new Date('2026-11-01T10:00:00Z'),
          kind: 'attempt',
          decision: 'allow',
          outcome: null,
          commandText: typed,
          command: 'task run',
        } as Parameters<typeof homeView>[0]['recent'][number],
      ],
      followUps: new Map(),
      panels: [],
      command: '/dp',
    });
    expect(problemsOf({ text: '', blocks: view.blocks as KnownBlock[] })).toEqual([]);
  });

  it('the console shows a preformatted block without its fences, its text literal', () => {
    expect(plainText('Last lines:\n```*not bold* &lt;x&gt;\nline 2```')).toBe(
      'Last lines:\n*not bold* <x>\nline 2',
    );
  });
});
