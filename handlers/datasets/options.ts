import type { OptionChoice, OptionProvider } from '../../pipeline/options.ts';
import type { DatasetService } from './datasetService.ts';
import type { DatasetsDeps } from './deps.ts';

/** The action id of external selects that pick a dataset (task forms use it for dataset parameters). */
export const DATASET_OPTIONS_ACTION = 'dp.opt.dataset';

/** Slack shows at most 100 options, each text at most 75 characters. */
const MAX_OPTIONS = 100;
/**
 * Slack wants options within 3 seconds; a cold cache in front of a slow catalog must not make the
 * select fail. Past this, answer from what is known and let the read finish for the next keystroke.
 */
const OPTIONS_BUDGET_MS = 1500;

async function namesWithin(service: DatasetService, budgetMs: number): Promise<string[]> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<'late'>((resolve) => {
    timer = setTimeout(() => resolve('late'), budgetMs);
  });
  try {
    const reading = service.names();
    const first = await Promise.race([reading, late]);
    if (first !== 'late') return first;
    // The read goes on and warms the cache; its failure is the cache's to remember, not ours.
    reading.catch(() => undefined);
    return service.knownNames();
  } finally {
    clearTimeout(timer);
  }
}

/** Dataset names for external selects: those starting with what was typed first, then containing it. */
export const datasetOptions: OptionProvider<DatasetsDeps> = {
  actionId: DATASET_OPTIONS_ACTION,
  async options(query, { deps }) {
    if (!deps.datasets) return [];
    const names = await namesWithin(deps.datasets, OPTIONS_BUDGET_MS);
    const q = query.trim().toLowerCase();
    const starting = names.filter((n) => n.toLowerCase().startsWith(q));
    const containing =
      q === '' ? [] : names.filter((n) => !n.toLowerCase().startsWith(q) && n.toLowerCase().includes(q));
    return [...starting, ...containing]
      .slice(0, MAX_OPTIONS)
      .map(
        (name): OptionChoice => ({ text: name.length > 75 ? `${name.slice(0, 74)}…` : name, value: name }),
      );
  },
};
