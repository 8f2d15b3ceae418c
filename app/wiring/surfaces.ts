import type { ServerDeps } from '../../bot/server.ts';
import type { SlackSurfaceDeps } from '../../bot/slack/slackDeps.ts';
import type { Services } from '../services.ts';

/** The Slack surface's share of the services; the commands reach the rest through the pipeline. */
export function slackSurfaceDeps(services: Services): SlackSurfaceDeps {
  return {
    config: { slack: services.config.slack },
    metrics: services.metrics,
    identity: services.identity,
    audit: services.audit,
  };
}

/** The HTTP server's share of the services. */
export function serverDeps(services: Services): ServerDeps {
  return {
    db: services.db,
    pool: services.pool,
    once: services.once,
    notifier: services.notifier,
    metrics: services.metrics,
    acksFirst: services.acksFirst,
  };
}
