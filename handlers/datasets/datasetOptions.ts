import type { OptionChoice, OptionProvider } from '../../bot/pipeline/options.ts';

/** The action id of external selects that pick a dataset (task forms use it for dataset parameters). */
export const DATASET_OPTIONS_ACTION = 'dp.opt.dataset';

/** Slack shows at most 100 options, each text at most 75 characters. */
const MAX_OPTIONS = 100;

/** Dataset names for external selects: those starting with what was typed first, then containing it. */
export const datasetOptions: OptionProvider = {
  actionId: DATASET_OPTIONS_ACTION,
  async options(query, { services }) {
    if (!services.datasets) return [];
    const names = await services.datasets.names();
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
