import { readFileSync } from 'node:fs';
import { Document, isMap, isScalar, parseDocument, YAMLMap } from 'yaml';
import { exampleConfigPath } from '../config/loadConfig.ts';

/**
 * Top-level sections of dpbot.example.yaml, comments and all: the demo teams, tasks, datasets and
 * release the simulators are seeded for, so a configuration `dpbot init` writes runs its
 * simulated systems as `npm start` does. `leaveOut` names keys to drop (`datasets.producers`).
 */
export function exampleSections(keys: readonly string[], leaveOut: readonly string[] = []): string {
  const example = parseDocument(readFileSync(exampleConfigPath(), 'utf8'));
  const root = example.contents;
  if (!isMap(root)) throw new Error(`${exampleConfigPath()} is not a mapping`);
  for (const path of leaveOut) example.deleteIn(path.split('.'));
  const picked = new YAMLMap();
  for (const key of keys) {
    const pair = root.items.find((p) => isScalar(p.key) && p.key.value === key);
    if (!pair) throw new Error(`${exampleConfigPath()} has no ${key} section`);
    picked.items.push(pair);
  }
  return new Document(picked).toString({ lineWidth: 0 });
}
