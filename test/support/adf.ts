/** An Atlassian document's text, one line a block, to assert on what dpbot wrote to Jira. */
export function adfToText(document: { content?: unknown }): string {
  const out: string[] = [];
  const walk = (node: unknown, line: string[]): void => {
    if (!node || typeof node !== 'object') return;
    const n = node as { type?: string; text?: string; content?: unknown[] };
    if (n.type === 'text' && typeof n.text === 'string') line.push(n.text);
    for (const child of n.content ?? []) walk(child, line);
  };
  for (const block of (document.content ?? []) as unknown[]) {
    const b = block as { type?: string; content?: unknown[] };
    if (b.type === 'bulletList') {
      for (const item of b.content ?? []) {
        const line: string[] = [];
        walk(item, line);
        out.push(`• ${line.join('')}`);
      }
    } else {
      const line: string[] = [];
      walk(block, line);
      out.push(line.join(''));
    }
  }
  return out.join('\n');
}
