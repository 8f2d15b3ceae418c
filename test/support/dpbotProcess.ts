import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { expect } from 'vitest';
import { projectRoot } from '../../core/paths.ts';
import { SANDBOX_BOT_TOKEN } from '../../sandbox/slack/slackSimulator.ts';
import { exampleDataEnv } from './dataDir.ts';
import { eventually } from './eventually.ts';
import { SIGNING_SECRET } from './slack.ts';

/** A `dpbot start` process serving Slack, with its JSON log lines as they arrive. */
export interface DpbotProcess {
  child: ChildProcess;
  lines: Record<string, unknown>[];
  exited: Promise<number | null>;
}

/**
 * Starts the real `dpbot start` on its own port against `databaseUrl`, with the test signing
 * secret and the Slack simulator's token, exactly as an operator would run it.
 */
export function startDpbotProcess(options: {
  configPath: string;
  databaseUrl: string;
  logLevel?: string;
  /** More environment (a checkpoint key), on top of what an operator would set. */
  env?: Record<string, string>;
  /** Node's own flags, before the script (as `npm start` gives --expose-gc). */
  nodeFlags?: string[];
}): DpbotProcess {
  const child = spawn(
    process.execPath,
    [
      ...(options.nodeFlags ?? []),
      join(projectRoot(), 'bin/dpbot.ts'),
      'start',
      '--config',
      options.configPath,
    ],
    {
      env: {
        PATH: process.env.PATH,
        HOME: process.env.HOME,
        DATABASE_URL: options.databaseUrl,
        SLACK_BOT_TOKEN: SANDBOX_BOT_TOKEN,
        SLACK_SIGNING_SECRET: SIGNING_SECRET,
        PORT: '0',
        LOG_LEVEL: options.logLevel ?? 'info',
        ...exampleDataEnv(['--config', options.configPath], projectRoot()),
        ...options.env,
      },
      stdio: ['ignore', 'ignore', 'pipe'],
    },
  );
  const lines: Record<string, unknown>[] = [];
  let partial = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    const text = partial + chunk.toString();
    const parts = text.split('\n');
    partial = parts.pop() ?? '';
    for (const line of parts) {
      try {
        lines.push(JSON.parse(line) as Record<string, unknown>);
      } catch {
        lines.push({ msg: line });
      }
    }
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, lines, exited };
}

/** The port the process serves Slack on, once it says so. */
export const slackPortOf = (p: DpbotProcess) =>
  p.lines.find((l) => l.msg === 'serving Slack at POST /slack/events')?.port as number | undefined;

/**
 * Waits until the process serves Slack and returns its port; fails with its last log lines if it
 * does not within `timeoutMs`.
 */
export async function servingSlack(p: DpbotProcess, timeoutMs = 60_000): Promise<number> {
  return eventually(() => {
    const found = slackPortOf(p);
    expect(found, JSON.stringify(p.lines.slice(-5))).toBeGreaterThan(0);
    return found as number;
  }, timeoutMs);
}
