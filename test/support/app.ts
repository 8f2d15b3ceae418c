import pino from 'pino';
import { type App, createApp } from '../../bot/app.ts';
import { loadConfig } from '../../bot/config/loadConfig.ts';
import type { Notifier } from '../../bot/notifier.ts';
import type { Command } from '../../bot/pipeline/defineCommand.ts';
import type { Message, MessageHandle, Responder } from '../../bot/pipeline/message.ts';
import type { TestDatabase } from './db.ts';
import type { Fixture } from './fixture.ts';

/** The real app (stores, pipeline, policies, directory) on a test database. */
export async function startTestApp(
  fixture: Fixture,
  database: TestDatabase,
  options: {
    extraCommands?: Command[];
    now?: () => Date;
    /** Secrets besides DATABASE_URL (ARGO_TOKEN, JIRA_API_TOKEN, ...). */
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
}

/** A responder that keeps what it was asked to send, for assertions. */
export function recordingResponder(): Responder & { sent: Sent[]; texts(): string[] } {
  const sent: Sent[] = [];
  return {
    sent,
    texts: () => sent.map((s) => s.message.text),
    send: async (message): Promise<MessageHandle> => {
      const entry: Sent = { message, updates: [] };
      sent.push(entry);
      return {
        update: async (m) => {
          entry.updates.push(m);
        },
      };
    },
  };
}
