import { type ContractChecker, documentChecker } from '../support/checker.ts';
import { OpenApiContract } from '../support/openapi.ts';
import { once, readSpec, specKey } from '../support/specs.ts';

/**
 * Argo CD's published OpenAPI document (v3.5.1, test/contract/specs/argo-cd.swagger.json), with
 * the places where the server is known to differ from it.
 */
export const argoCdContract = once(
  () =>
    new OpenApiContract(readSpec('argo-cd.swagger.json'), {
      // argo-cd server/server.go puts util/grpc/json.go's JSONMarshaler (encoding/json) in front of
      // the gateway, both ways: int64 fields (`status.history[].id`, rollback `id`) are JSON numbers,
      // and a string would not decode.
      int64: 'number',
      overrides: {
        // metav1.Time writes its zero value as null (k8s.io/apimachinery meta/v1/time.go,
        // MarshalJSON), e.g. a RevisionHistory's `deployedAt`, which has no omitempty; the
        // document says string.
        v1Time: (schema) => ({ anyOf: [schema, { type: 'null' }] }),
      },
      // can-i's object is `<project>/<application>`, sent with its slash as Argo CD's own UI sends
      // it (ui/src/app/shared/services/accounts-service.ts); the gateway binds the rest of the path
      // to it.
      restOfPath: ['subresource'],
      cacheKey: specKey('argo-cd.swagger.json'),
    }),
);

/** Every exchange with the Argo CD simulator's API (`/api/v1/...`). */
export const argoCdChecker: ContractChecker = documentChecker(
  'Argo CD',
  (simulator, exchange) => simulator === 'argocd' && exchange.path.startsWith('/api/'),
  argoCdContract,
);
