import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { datasetsConfigSchema } from '../../handlers/datasets/config.ts';
import { CombinedDatasetService } from '../../handlers/datasets/datasetService.ts';
import type { DatasetsDeps } from '../../handlers/datasets/deps.ts';
import { datasetsCapability } from '../../handlers/datasets/index.ts';
import { ArgoProducerReader } from '../../handlers/datasets/producerReader.ts';
import { HttpArgoClient } from '../../integrations/argo/argoClient.ts';
import type { CommandContext } from '../../pipeline/defineCommand.ts';
import type { Message } from '../../pipeline/message.ts';
import { ArgoSimulator } from '../../sandbox/argo/argoSimulator.ts';
import { generateDemoWorld } from '../../sandbox/catalog/demoWorld.ts';

// The datasets capability built from just what it declares: no database, no Services, no catalog;
// the producers' runs come from the Argo simulator through the one Argo client.
const NOW = new Date('2026-11-21T12:00:00Z');
const world = generateDemoWorld({ now: NOW });
const argo = new ArgoSimulator({
  token: 'argo-secret',
  cronWorkflows: world.cronWorkflows,
  workflows: world.workflows,
});
const log = pino({ level: 'silent' });
const failed = Object.entries(world.scenarios).find(([, s]) => s === 'failed')?.[0] ?? '';

function deps(withService: boolean): DatasetsDeps {
  const config = datasetsConfigSchema.parse({ argo: { url: argo.url }, producers: world.producers });
  const reader = new ArgoProducerReader(
    new HttpArgoClient({ url: argo.url, token: 'argo-secret', timeoutMs: 2000, log }),
  );
  return {
    config: { datasets: config, access: { adminContact: '#data-platform' } },
    datasets: withService
      ? CombinedDatasetService.fromConfig(config, { env: {}, log, now: () => NOW, argo: reader })
      : undefined,
    now: () => NOW,
  };
}

async function run(bound: DatasetsDeps, text: string[]): Promise<Message | undefined> {
  const [name, ...positionals] = text;
  const command = datasetsCapability.bind(bound).commands.find((c) => c.name === name);
  if (!command) throw new Error(`no command ${name}`);
  const valid = command.validate(positionals.length ? { name: positionals[0] } : {});
  if (!valid.ok) throw valid.error;
  const ctx: CommandContext = {
    requestId: 'req-1',
    entry: 'console',
    channel: null,
    caller: { id: 1, email: 'ada@example.com', name: 'Ada', slackUserId: null, groups: [], grants: [] },
    decision: null,
    deps: undefined,
    log,
    reply: () => Promise.reject(new Error('not used')),
    openModal: async () => false,
    may: () => false,
    auditStep: async () => {},
  };
  return command.run(valid.args, ctx);
}

beforeAll(async () => {
  await argo.start();
});
afterAll(() => argo.stop());

describe('the datasets capability with only its declared dependencies', () => {
  it('shows a producer read from Argo Workflows', async () => {
    const ref = world.producers[failed];
    const answer = await run(deps(true), ['dataset', failed]);
    expect(answer?.text).toContain(`Producer: CronWorkflow ${ref?.namespace}/${ref?.cronWorkflow}`);
    expect(answer?.text).toMatch(/Last runs:\n❌ (Failed|Error) · /);
    expect(argo.requests.map((r) => r.path)).toEqual([
      `/api/v1/cron-workflows/${ref?.namespace}/${ref?.cronWorkflow}`,
      `/api/v1/workflows/${ref?.namespace}`,
    ]);
  });

  it('says whom to ask when no source is configured', async () => {
    await expect(run(deps(false), ['datasets'])).rejects.toThrow(
      'no dataset catalog or Argo Workflows is configured (datasets.catalog, datasets.argo); ask #data-platform',
    );
  });
});
