import { spawn } from 'node:child_process';
import { join, resolve } from 'node:path';
import { Readable, Writable } from 'node:stream';
import { projectRoot } from '../../core/paths.ts';
import { exampleDataDir, exampleDataEnv } from './dataDir.ts';

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs `node bin/dpbot.ts …` as a separate process, exactly as a user would, with the given
 * standard input (not a TTY) and environment. Bounded in time so a hang fails the test.
 */
export function runCli(
  args: readonly string[],
  options: {
    env?: Record<string, string | undefined>;
    input?: string;
    cwd?: string;
    timeoutMs?: number;
  } = {},
): Promise<CliResult> {
  return runProcess(process.execPath, [join(projectRoot(), 'bin', 'dpbot.ts'), ...args], {
    ...options,
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      LOG_LEVEL: 'warn',
      ...exampleDataEnv(args, options.cwd ?? projectRoot()),
      ...options.env,
    },
    label: `dpbot ${args.join(' ')}`,
  });
}

/**
 * A line as someone pastes it into a terminal (`npm run dpbot -- init …`), run by the shell in
 * `cwd` with only PATH and HOME from this environment.
 */
export function runShell(line: string, cwd: string): Promise<CliResult> {
  return runProcess('sh', ['-c', line], {
    cwd,
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      npm_config_update_notifier: 'false',
      // `npm start` in the checkout reads the example configuration.
      ...(resolve(cwd) === resolve(projectRoot()) ? { DPBOT_DATA_DIR: exampleDataDir() } : {}),
    },
    label: line,
  });
}

function runProcess(
  file: string,
  args: readonly string[],
  options: {
    env: Record<string, string | undefined>;
    input?: string;
    cwd?: string;
    timeoutMs?: number;
    label: string;
  },
): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, {
      cwd: options.cwd ?? projectRoot(),
      env: options.env,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${options.label} did not finish in time\nstdout:\n${stdout}\nstderr:\n${stderr}`));
    }, options.timeoutMs ?? 60_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
    child.stdin.end(options.input ?? '');
  });
}

export interface LiveCli {
  /** Everything written to standard output so far. */
  output(): string;
  /** Waits (bounded) until standard output matches, and returns the match. */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  send(line: string): void;
  /** Closes standard input and waits for the exit code. */
  end(): Promise<number | null>;
  /** Sends a signal (standard input stays open) and waits for the exit code. */
  kill(signal: NodeJS.Signals): Promise<number | null>;
}

/** `dpbot …` driven line by line, for sessions whose next input depends on what was printed. */
export function liveCli(
  args: readonly string[],
  options: { env?: Record<string, string | undefined> } = {},
): LiveCli {
  const child = spawn(process.execPath, [join(projectRoot(), 'bin', 'dpbot.ts'), ...args], {
    cwd: projectRoot(),
    env: { PATH: process.env.PATH, HOME: process.env.HOME, LOG_LEVEL: 'warn', ...options.env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stdout = '';
  child.stdout.on('data', (d: Buffer) => {
    stdout += d.toString();
  });
  child.stderr.on('data', () => undefined);
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  return {
    output: () => stdout,
    waitFor: async (pattern, timeoutMs = 30_000) => {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const match = stdout.match(pattern);
        if (match) return match;
        if (Date.now() > deadline || child.exitCode !== null) {
          throw new Error(`no ${pattern} in the console output:\n${stdout}`);
        }
        await new Promise((r) => setTimeout(r, 50));
      }
    },
    send: (line) => {
      child.stdin.write(`${line}\n`);
    },
    end: async () => {
      child.stdin.end();
      const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
      const code = await exited;
      clearTimeout(timer);
      return code;
    },
    kill: async (signal) => {
      child.kill(signal);
      const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
      const code = await exited;
      clearTimeout(timer);
      return code;
    },
  };
}

/**
 * `dpbot …` run by its own entry point (bin/dpbot.ts calls the same `main`) in this process, with
 * standard input not a TTY: for the many quick checks of a file where a separate process would
 * only add Node's start-up and the loading of every module. What `runCli` checks of a real
 * process (its environment, its exit) stays with the tests that spawn one.
 */
export async function runCliHere(
  args: readonly string[],
  options: { cwd?: string; env?: Record<string, string | undefined>; input?: string } = {},
): Promise<CliResult> {
  const { main } = await import('../../app/cli/index.ts');
  let stdout = '';
  let stderr = '';
  const sink = (append: (s: string) => void) =>
    new Writable({
      write(chunk: Buffer | string, _encoding, done) {
        append(chunk.toString());
        done();
      },
    });
  const code = await main(args, {
    stdin: Readable.from([options.input ?? '']),
    stdout: sink((s) => {
      stdout += s;
    }),
    stderr: sink((s) => {
      stderr += s;
    }),
    env: { PATH: process.env.PATH, HOME: process.env.HOME, LOG_LEVEL: 'warn', ...options.env },
    cwd: options.cwd ?? projectRoot(),
  });
  return { code, stdout, stderr };
}
