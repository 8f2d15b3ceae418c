import { distance } from 'fastest-levenshtein';

/**
 * The names closest to a mistyped one, nearest first: within an edit distance that grows with the
 * word (2, or a third of its length), so a short word is not "near" everything.
 */
export function nearestNames(word: string, names: Iterable<string>, max = 2): string[] {
  const limit = Math.max(2, Math.floor(word.length / 3));
  return [...new Set(names)]
    .map((name) => ({ name, d: distance(word, name) }))
    .filter((x) => x.d <= limit)
    .sort((a, b) => a.d - b.d)
    .slice(0, max)
    .map((x) => x.name);
}

/**
 * Names close to a mistyped one for long, dotted names (datasets): a few edits away, or containing
 * what was typed (`orders` → `sales.orders_daily`), ignoring case.
 */
export function nearOrContaining(wanted: string, names: readonly string[], max = 3): string[] {
  const w = wanted.toLowerCase();
  const containing = names.filter((n) => n.toLowerCase().includes(w));
  const near = nearestNames(
    w,
    names.map((n) => n.toLowerCase()),
    max,
  ).flatMap((lower) => names.filter((n) => n.toLowerCase() === lower));
  return [...new Set([...near, ...containing])].slice(0, max);
}

/** `; did you mean "a" or "b"?` for the names given, or nothing. */
export function suggestion(names: readonly string[]): string {
  return names.length ? `; did you mean ${names.map((n) => `"${n}"`).join(' or ')}?` : '';
}
