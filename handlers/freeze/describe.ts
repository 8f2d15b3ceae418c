import { formatTime } from '../../core/time.ts';
import type { ActiveFreeze } from './windows.ts';

/** `all deploys` / `deploys of orders-api, ingest`. */
export const frozenWhat = (f: Pick<ActiveFreeze, 'services'>): string =>
  f.services.length === 0 ? 'all deploys' : `deploys of ${f.services.join(', ')}`;

/**
 * One freeze in a sentence, with who froze it, why and until when: what a refused ship, the
 * release message and the App Home say.
 */
export function describeFreeze(f: ActiveFreeze): string {
  const what = frozenWhat(f);
  return `${what[0]?.toUpperCase()}${what.slice(1)} frozen (${f.label}) by ${f.by} until ${formatTime(f.until)}: ${f.reason}`;
}
