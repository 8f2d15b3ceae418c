import type { NamedResource } from '../../pipeline/defineCommand.ts';
import type { DatasetsDeps } from './deps.ts';

/** A dataset named in a command, checked against the catalog's names before authorizing. */
export async function datasetNamed(deps: DatasetsDeps, name: string): Promise<NamedResource> {
  return {
    kind: 'dataset',
    name,
    known: await deps.datasets?.allNames(),
    resource: (n) => `dataset:${n}`,
    hint: '"datasets" lists them',
  };
}
