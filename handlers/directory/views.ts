import { escapeMrkdwn } from '../../pipeline/views/common.ts';
import type { Grant } from '../../policies/decide.ts';

/**
 * One grant as a line of mrkdwn, as `whoami` and App Home list it; patterns are code spans, since
 * `*` would otherwise mean bold.
 */
export function describeGrant(g: Grant): string {
  const code = (items: readonly string[]) => items.map((i) => `\`${i}\``).join(', ');
  const limits = Object.entries(g.limits).map(([k, v]) => `${k} ${v}`);
  const via = g.subject.kind === 'group' ? `via ${escapeMrkdwn(g.subject.name)}` : 'granted to you';
  const extra = [
    ...(limits.length ? [`limits: ${limits.join(', ')}`] : []),
    ...(g.approval ? [`needs approval by ${g.approval.count} of ${escapeMrkdwn(g.approval.group)}`] : []),
  ];
  return `${code(g.actions)} on ${code(g.resources)} (${via}${extra.length ? `; ${extra.join('; ')}` : ''})`;
}
