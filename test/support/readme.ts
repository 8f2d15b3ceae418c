import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { projectRoot } from '../../core/paths.ts';

/** The README, read as a newcomer reads it: tests run what it shows rather than a copy of it. */
export function readme(): string {
  return readFileSync(join(projectRoot(), 'README.md'), 'utf8');
}

/**
 * The text under a heading (`### A tour of the sandbox`), up to the next heading of the same
 * level or above. Throws when the heading is missing, so a renamed section fails loudly.
 */
export function readmeSection(heading: string): string {
  const lines = readme().split('\n');
  const start = lines.findIndex((l) => l.trim() === heading);
  if (start === -1) throw new Error(`the README has no heading "${heading}"`);
  const level = /^#+/.exec(heading)?.[0].length ?? 1;
  // A `#` at the start of a line inside a code block is a shell comment, not a heading.
  let fenced = false;
  const end = lines.findIndex((l, i) => {
    if (l.startsWith('```')) fenced = !fenced;
    return i > start && !fenced && /^#+ /.test(l) && (/^#+/.exec(l)?.[0].length ?? 0) <= level;
  });
  return lines.slice(start + 1, end === -1 ? undefined : end).join('\n');
}

/** The inline code spans of some Markdown, in order. */
export function inlineCode(markdown: string): string[] {
  return [...markdown.replace(/```[\s\S]*?```/g, '').matchAll(/`([^`\n]+)`/g)].map((m) => m[1] as string);
}

/** The fenced code blocks of some Markdown, in order, without their fences. */
export function codeBlocks(markdown: string): string[] {
  return [...markdown.matchAll(/```[a-z]*\n([\s\S]*?)```/g)].map((m) => m[1] as string);
}

/** The rows of the Markdown table whose header row names these columns, as cells. */
export function tableRows(markdown: string, header: readonly string[]): string[][] {
  const rows = markdown.split('\n').filter((l) => l.trim().startsWith('|'));
  const cells = (row: string) =>
    row
      .trim()
      .replace(/^\||\|$/g, '')
      .split(/(?<!\\)\|/)
      .map((c) => c.trim());
  const at = rows.findIndex((r) => cells(r).join('|') === header.join('|'));
  if (at === -1) throw new Error(`no table with the columns ${header.join(', ')}`);
  const out: string[][] = [];
  for (const row of rows.slice(at + 2)) {
    const c = cells(row);
    if (c.length !== header.length) break;
    out.push(c);
  }
  return out;
}
