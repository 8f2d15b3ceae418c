import pino from 'pino';
import { type App, createApp } from '../../bot/app.ts';
import { loadConfig } from '../../bot/config/loadConfig.ts';
import type { MessageRef, Notifier } from '../../bot/notifier.ts';
import type { Command } from '../../bot/pipeline/defineCommand.ts';
import type { Message, MessageHandle, Responder } from '../../bot/pipeline/message.ts';
import type { ReleaseTracker } from '../../integrations/tracker/releaseTracker.ts';
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
    notifier?: Notifier;
    releaseTracker?: ReleaseTracker;
  } = {},
): Promise<App> {
  const loaded = loadConfig({ path: fixture.configPath, env: {} });
  return createApp({
    loaded,
    env: { ...options.env, DATABASE_URL: database.url },
    ...(options.notifier ? { notifier: options.notifier } : {}),
    ...(options.releaseTracker ? { releaseTracker: options.releaseTracker } : {}),
    log: pino({ level: 'silent' }),
    ...(options.extraCommands ? { extraCommands: options.extraCommands } : {}),
    ...(options.now ? { now: options.now } : {}),
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

export interface Posted {
  channel: string;
  ts: string;
  threadTs: string | undefined;
  message: Message;
  updates: Message[];
}

/** A notifier that keeps what background work posted, updated and sent directly. */
export function recordingNotifier(): Notifier & {
  posted: Posted[];
  directs: { email: string; message: Message }[];
  /** The latest text of each posted message (after its updates). */
  latest(ts: string): Message | undefined;
} {
  const posted: Posted[] = [];
  const directs: { email: string; message: Message }[] = [];
  let next = 1;
  return {
    posted,
    directs,
    latest: (ts) => {
      const p = posted.find((x) => x.ts === ts);
      return p ? (p.updates.at(-1) ?? p.message) : undefined;
    },
    post: async (channel, message, options = {}): Promise<MessageRef> => {
      const ts = `1700000000.${String(next++).padStart(6, '0')}`;
      posted.push({ channel, ts, threadTs: options.threadTs, message, updates: [] });
      return { channel, ts };
    },
    update: async (ref, message) => {
      const p = posted.find((x) => x.ts === ref.ts);
      if (!p) throw new Error(`no message ${ref.ts} was posted`);
      p.updates.push(message);
    },
    direct: async (to, message) => {
      directs.push({ email: to.email, message });
    },
  };
}
