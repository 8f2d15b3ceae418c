/** Label keys: an optional DNS-subdomain prefix and `/`, then a name like a value (not empty). */
export const LABEL_KEY = /^([a-z0-9]([-a-z0-9.]*[a-z0-9])?\/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;

/**
 * Turns any text (an e-mail, a Slack id, a request id) into a valid label value that still reads
 * like the original: `ada@example.com` → `ada_at_example.com`. Labels are for selecting and
 * reading; the exact value is kept elsewhere (dpbot's own table).
 */
export function labelValue(text: string): string {
  const replaced = text.replaceAll('@', '_at_').replace(/[^A-Za-z0-9_.-]/g, '_');
  const trim = (s: string) => s.replace(/^[^A-Za-z0-9]+/, '').replace(/[^A-Za-z0-9]+$/, '');
  return trim(trim(replaced).slice(0, 63));
}

/** The `labels` string of SubmitOpts: `k=v,k=v`, every key checked and every value sanitized. */
export function labelString(labels: Readonly<Record<string, string>>): string {
  return Object.entries(labels)
    .map(([key, value]) => {
      if (!LABEL_KEY.test(key) || key.length > 316) throw new Error(`"${key}" is not a valid label key`);
      return `${key}=${labelValue(value)}`;
    })
    .join(',');
}
