/** Where a worker count lives, in Kubernetes terms. */
export type WorkloadRef =
  | { kind: 'Deployment' | 'StatefulSet'; cluster: string; namespace: string; name: string }
  | { kind: 'ConfigMap'; cluster: string; namespace: string; name: string; key: string; selector?: string }
  | {
      kind: 'Custom';
      cluster: string;
      namespace: string;
      name: string;
      group: string;
      version: string;
      plural: string;
      resourceKind?: string;
      field: string;
      selector?: string;
    };

/**
 * A configured target, as far as Kubernetes is concerned (the scaling capability's TargetConfig
 * has this shape and more).
 */
export type TargetSpec =
  | {
      kind: 'Deployment' | 'StatefulSet';
      cluster: string;
      namespace: string;
      name: string;
      object?: string | undefined;
    }
  | {
      kind: 'ConfigMap';
      cluster: string;
      namespace: string;
      name: string;
      object?: string | undefined;
      key: string;
      selector?: string | undefined;
    }
  | {
      kind: 'Custom';
      cluster: string;
      namespace: string;
      name: string;
      object?: string | undefined;
      apiVersion: string;
      resource: string;
      resourceKind?: string | undefined;
      field: string;
      selector?: string | undefined;
    };

export function workloadRef(target: TargetSpec): WorkloadRef {
  const base = { cluster: target.cluster, namespace: target.namespace, name: target.object ?? target.name };
  switch (target.kind) {
    case 'Deployment':
    case 'StatefulSet':
      return { ...base, kind: target.kind };
    case 'ConfigMap':
      return {
        ...base,
        kind: 'ConfigMap',
        key: target.key,
        ...(target.selector ? { selector: target.selector } : {}),
      };
    case 'Custom': {
      const [group = '', version = ''] = target.apiVersion.split('/');
      return {
        ...base,
        kind: 'Custom',
        group,
        version,
        plural: target.resource,
        field: target.field,
        ...(target.resourceKind ? { resourceKind: target.resourceKind } : {}),
        ...(target.selector ? { selector: target.selector } : {}),
      };
    }
  }
}

/** `Deployment team-x/ingest-workers`, `key "executors" of ConfigMap team-s/spark-settings`. */
export function describeRef(ref: WorkloadRef): string {
  const object = `${ref.namespace}/${ref.name}`;
  switch (ref.kind) {
    case 'ConfigMap':
      return `key "${ref.key}" of ConfigMap ${object}`;
    case 'Custom':
      return `${ref.field} of ${ref.resourceKind ?? ref.plural} ${object}`;
    default:
      return `${ref.kind} ${object}`;
  }
}

/** The RBAC resource and API group that hold the object. */
export function rbacResource(ref: WorkloadRef): [resource: string, group: string] {
  switch (ref.kind) {
    case 'Deployment':
      return ['deployments', 'apps'];
    case 'StatefulSet':
      return ['statefulsets', 'apps'];
    case 'ConfigMap':
      return ['configmaps', ''];
    case 'Custom':
      return [ref.plural, ref.group];
  }
}

/** The JSON pointer of the replica count in the object, as Argo CD's ignoreDifferences names it. */
export function replicasPointer(ref: WorkloadRef): string {
  if (ref.kind === 'ConfigMap') return `/data/${ref.key.replaceAll('~', '~0').replaceAll('/', '~1')}`;
  if (ref.kind === 'Custom') return `/${ref.field.split('.').join('/')}`;
  return '/spec/replicas';
}
