import type { ModalView } from '@slack/types';
import type pg from 'pg';
import pino from 'pino';
import { type App, createApp } from '../../app/app.ts';
import { loadConfig } from '../../app/config/loadConfig.ts';
import type { Command, Entry } from '../../pipeline/defineCommand.ts';
import type { Message, MessageHandle, Responder } from '../../pipeline/message.ts';
import type { MessageRef, Notifier } from '../../pipeline/notifier.ts';
import { VIEW_ACTION } from '../../pipeline/views/common.ts';
import type { TestDatabase } from './db.ts';
import type { Fixture } from './fixture.ts';

/** The real app (stores, pipeline, policies, directory) on a test database. */
export async function startTestApp(
  fixture: Fixture,
  database: TestDatabase,
  options: {
    extraCommands?: Command[];
    now?: () => Date;
    /** Secrets the integrations read (tokens the simulators accept). */
    env?: Record<string, string>;
    /** Start the background workers, as the server and the console do. */
    runWorkers?: boolean;
    notifier?: Notifier;
  } = {},
): Promise<App> {
  const loaded = loadConfig({ path: fixture.configPath, env: {} });
  return createApp({
    loaded,
    env: { DATABASE_URL: database.url, ...options.env },
    log: pino({ level: 'silent' }),
    ...(options.extraCommands ? { extraCommands: options.extraCommands } : {}),
    ...(options.now ? { now: options.now } : {}),
    ...(options.runWorkers ? { runWorkers: true } : {}),
    ...(options.notifier ? { notifier: options.notifier } : {}),
  });
}

export interface Sent {
  message: Message;
  updates: Message[];
  /** Where it was posted, when it has Slack coordinates. */
  ref?: MessageRef;
}

/**
 * A responder that keeps what it was asked to send, for assertions. With `channel`, messages to
 * the channel get Slack coordinates (`ref`), as chat.postMessage gives them.
 */
export function recordingResponder(
  options: { channel?: string } = {},
): Responder & { sent: Sent[]; texts(): string[] } {
  const sent: Sent[] = [];
  return {
    sent,
    texts: () => sent.map((s) => s.message.text),
    send: async (message): Promise<MessageHandle> => {
      const ref =
        options.channel && message.visibility === 'in_channel'
          ? {
              channel: options.channel,
              ts: `${Math.floor(Date.now() / 1000)}.${crypto.randomUUID().slice(0, 8)}`,
            }
          : undefined;
      const entry: Sent = { message, updates: [], ...(ref ? { ref } : {}) };
      sent.push(entry);
      return {
        ref,
        update: async (m) => {
          entry.updates.push(m);
        },
      };
    },
  };
}

/**
 * Types a command through the real pipeline as `email` (a console request unless `entry` says
 * otherwise); returns the outcome, what was sent, and the request id its audit rows carry.
 */
export async function typeCommand(
  app: App,
  text: string,
  options: {
    email: string;
    channel?: string;
    entry?: Entry;
    openModal?: (view: ModalView) => Promise<boolean>;
  },
) {
  const responder = recordingResponder(options.channel ? { channel: options.channel } : {});
  const requestId = crypto.randomUUID();
  const outcome = await app.pipeline.handleText({
    requestId,
    entry: options.entry ?? 'console',
    text,
    caller: { email: options.email },
    ...(options.channel ? { channel: options.channel } : {}),
    responder,
    ...(options.openModal ? { openModal: options.openModal } : {}),
  });
  return { outcome, responder, requestId };
}

/** A press of a button that runs its value as a command (VIEW_ACTION unless told): Next, Previous, details. */
export async function pressButton(
  app: App,
  value: string,
  options: { email: string; channel?: string; actionId?: string },
): Promise<{ outcome: string; message: Message }> {
  const responder = recordingResponder();
  const outcome = await app.pipeline.handleAction({
    requestId: crypto.randomUUID(),
    entry: 'button',
    actionId: options.actionId ?? VIEW_ACTION,
    value,
    caller: { email: options.email },
    channel: options.channel ?? 'C1',
    responder,
  });
  return { outcome, message: responder.sent[0]?.message as Message };
}

/** The audit rows of one request, oldest first, with the columns asked for. */
export async function auditRowsOf<Row extends pg.QueryResultRow = pg.QueryResultRow>(
  database: TestDatabase,
  requestId: string,
  columns: string,
): Promise<Row[]> {
  const result = await database.query<Row>(
    `SELECT ${columns} FROM audit_log WHERE request_id = $1 ORDER BY id`,
    [requestId],
  );
  return result.rows;
}
