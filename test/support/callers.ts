import type { Caller } from '../../pipeline/defineCommand.ts';

/** Ada with a direct grant of `actions` on every resource: a caller for commands bound without the pipeline. */
export const callerWith = (actions: string[]): Caller => ({
  id: 1,
  email: 'ada@example.com',
  name: 'Ada',
  slackUserId: null,
  groups: [],
  grants: [
    {
      id: 1,
      subject: { kind: 'user', email: 'ada@example.com' },
      actions,
      resources: ['*'],
      limits: {},
      approval: null,
      origin: 'test',
    },
  ],
});
