import type { components } from './generated.ts';

/** The part of an Application these read. */
type Spec = Pick<components['schemas']['v1alpha1Application'], 'spec'>;

/**
 * Whether Argo CD syncs the application by itself, read as the server does
 * (Argo CD server/application/application.go, SyncPolicy.IsAutomatedSyncEnabled): `automated`
 * present and not `enabled: false`. Since v3.1 `{ enabled: false }` keeps the policy's options but
 * turns auto-sync off; an empty `automated: {}` is on.
 */
export function autoSyncEnabled(app: Spec): boolean {
  const automated = app.spec?.syncPolicy?.automated;
  return automated !== undefined && automated !== null && automated.enabled !== false;
}

/** The revision the application follows; Argo CD reads an empty one as HEAD. */
export function targetRevision(app: Spec): string {
  return app.spec?.source?.targetRevision || 'HEAD';
}
