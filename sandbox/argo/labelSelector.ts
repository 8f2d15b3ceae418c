/**
 * Whether labels satisfy a Kubernetes equality-based label selector: requirements joined by `,`,
 * each `k=v`, `k==v`, `k!=v`, `k` (the label exists) or `!k` (it does not).
 */
export function selectorMatches(selector: string, labels: Readonly<Record<string, string>>): boolean {
  return selector
    .split(',')
    .map((part) => part.trim())
    .filter(Boolean)
    .every((req) => {
      const ne = /^([^!=]+)!=(.*)$/.exec(req);
      if (ne) return labels[(ne[1] ?? '').trim()] !== (ne[2] ?? '').trim();
      const eq = /^([^!=]+)==?(.*)$/.exec(req);
      if (eq) return labels[(eq[1] ?? '').trim()] === (eq[2] ?? '').trim();
      if (req.startsWith('!')) return !(req.slice(1) in labels);
      return req in labels;
    });
}
