import { freezeGate } from '../../handlers/freeze/index.ts';
import type { ReleaseDeps } from '../../handlers/release/index.ts';
import type { Services } from '../services.ts';
import { freezeDeps } from './freeze.ts';

/** The release capability's share of what createApp built. */
export function releaseDeps(services: Services): ReleaseDeps {
  return {
    config: { release: services.config.release },
    releases: services.releases,
    freezeGate: freezeGate(freezeDeps(services)),
    notices: services.releaseNotices,
    audit: services.audit,
    access: services.access,
    github: services.github,
    argocd: services.argocd,
    releaseTracker: services.releaseTracker,
    jira: services.jira,
    jobs: services.jobs,
    notifier: services.notifier,
    log: services.log,
    now: services.now,
  };
}
