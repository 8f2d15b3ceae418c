import { execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, type as osType, release, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import pino from 'pino';
import { projectRoot } from '../core/paths.ts';
import { type EmbeddedPostgresHandle, startEmbeddedPostgres } from '../db/embedded.ts';
import { type BenchSection, stats } from './harness.ts';
import { benchmarks } from './index.ts';

/**
 * `npm run bench [-- <name> ...]`: runs the benchmarks (all, or those named) on this machine and
 * writes bench/RESULTS.md (bench/RESULTS.partial.md when only some are named, so that a partial run
 * never replaces the full results). Uses BENCH_DATABASE_URL or DATABASE_URL when set (creating and dropping
 * its own databases there), an embedded PostgreSQL otherwise. BENCH_RUNS sets the runs per figure.
 */
async function main(): Promise<void> {
  const only = process.argv.slice(2);
  const runs = Number(process.env.BENCH_RUNS ?? 5);
  let adminUrl = process.env.BENCH_DATABASE_URL ?? process.env.DATABASE_URL;
  let embedded: EmbeddedPostgresHandle | undefined;
  let dataDir: string | undefined;
  if (!adminUrl) {
    dataDir = mkdtempSync(join(tmpdir(), 'dpbot-bench-pg-'));
    chmodSync(dataDir, 0o755);
    embedded = await startEmbeddedPostgres({ dataDir, port: 0, log: pino({ level: 'silent' }) });
    adminUrl = embedded.url;
  }
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  const pgVersion =
    (await client.query<{ server_version: string }>('SHOW server_version')).rows[0]?.server_version ?? '?';
  await client.end();

  const sections: BenchSection[] = [];
  const started = new Date();
  try {
    for (const bench of benchmarks) {
      if (only.length && !only.includes(bench.name)) continue;
      console.log(`▶ ${bench.name}`);
      const t = performance.now();
      sections.push(await bench.run({ adminUrl, runs, log: (line) => console.log(`  ${line}`) }));
      console.log(`  done in ${((performance.now() - t) / 1000).toFixed(1)} s`);
    }
  } finally {
    await embedded?.stop();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  }

  const commit = (() => {
    try {
      return execFileSync('git', ['rev-parse', '--short', 'HEAD'], {
        cwd: projectRoot(),
        encoding: 'utf8',
      }).trim();
    } catch {
      return 'unknown';
    }
  })();
  const fmt = (n: number) =>
    Math.abs(n) >= 100 ? n.toFixed(0) : Math.abs(n) >= 1 ? n.toFixed(2) : n.toFixed(3);
  const lines = [
    '# dpbot benchmark results',
    '',
    `Written by \`npm run bench\` on ${started.toISOString().slice(0, 10)} (commit ${commit}).`,
    '',
    `Machine: ${cpus()[0]?.model ?? 'unknown CPU'} × ${cpus().length} cores, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, ${osType()} ${release()}; Node ${process.version}; PostgreSQL ${pgVersion}${embedded ? ' (embedded)' : ''}. ${runs} run(s) per figure.`,
    '',
    'Each figure is min / median / max over the runs; the ratio is the median against the median of its baseline, measured in the same run.',
    '',
  ];
  for (const section of sections) {
    lines.push(`## ${section.title}`, '', section.description, '');
    lines.push(
      '| figure | min | median | max | baseline | baseline median | ratio |',
      '| --- | --- | --- | --- | --- | --- | --- |',
    );
    for (const m of section.measurements) {
      const s = stats(m.samples);
      const b = m.baseline ? stats(m.baseline.samples) : undefined;
      const ratio = b && b.median !== 0 ? `${(s.median / b.median).toFixed(2)}×` : '—';
      lines.push(
        `| ${m.name} (${m.unit}) | ${fmt(s.min)} | ${fmt(s.median)} | ${fmt(s.max)} | ${m.baseline?.name ?? '—'} | ${b ? fmt(b.median) : '—'} | ${ratio} |`,
      );
      if (m.note) lines.push(`|  ↳ ${m.note} | | | | | | |`);
    }
    lines.push('');
  }
  const out = join(projectRoot(), 'bench', only.length ? 'RESULTS.partial.md' : 'RESULTS.md');
  writeFileSync(out, `${lines.join('\n')}\n`);
  console.log(`\nwrote ${out}`);
}

await main();
