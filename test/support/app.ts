import pino from 'pino';
import { type App, createApp } from '../../bot/app.ts';
import { loadConfig } from '../../bot/config/loadConfig.ts';
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
    env?: Record<string, string>;
    runWorkers?: boolean;
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
