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

/** `; did you mean "team-x"?`, or nothing when no name is near. */
export function didYouMean(word: string, names: Iterable<string>, max = 2): string {
  const near = nearestNames(word, names, max);
  return near.length ? `; did you mean ${near.map((n) => `"${n}"`).join(' or ')}?` : '';
}
