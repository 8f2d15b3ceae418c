import type { Application } from './argoCdClient.ts';

/**
 * Whether Argo CD syncs the application by itself, read as the server does
 * (Argo CD server/application/application.go, SyncPolicy.IsAutomatedSyncEnabled): `automated`
 * present and not `enabled: false`. Since v3.1 `{ enabled: false }` keeps the policy's options but
 * turns auto-sync off; an empty `automated: {}` is on.
 */
export function autoSyncEnabled(app: Application): boolean {
  const automated = app.spec.syncPolicy?.automated;
  return automated !== undefined && automated !== null && automated.enabled !== false;
}

/** The revision the application follows; Argo CD reads an empty one as HEAD. */
export function targetRevision(app: Application): string {
  return app.spec.source?.targetRevision || 'HEAD';
}
