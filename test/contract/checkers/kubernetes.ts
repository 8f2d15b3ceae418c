import type { SimExchange } from '../../../sandbox/http.ts';
import { type ContractChecker, splitChecker } from '../support/checker.ts';
import { type ContractOptions, OpenApiContract, type Schema } from '../support/openapi.ts';
import { once, readSpec, specKey } from '../support/specs.ts';

/**
 * Kubernetes' published OpenAPI document (api/openapi-spec/swagger.json of release-1.36, the
 * release @kubernetes/client-node 2.0.1 is generated from; test/contract/specs/kubernetes.swagger.json)
 * judges verb, path, query parameters, content type and body of every request dpbot sends, and
 * every answer of the simulator. The document and not the client's models: the models describe
 * bodies only, the document also the operations (which verb on which path, which parameters,
 * which patch content types).
 */

const OPTIONS: ContractOptions = {
  // The API server writes and reads int64 as JSON numbers (k8s.io/apimachinery's json serializer,
  // sigs.k8s.io/json), e.g. `metadata.generation`, `status.observedGeneration`.
  int64: 'number',
  overrides: {
    // intstr.IntOrString marshals as whichever it holds (k8s.io/apimachinery pkg/util/intstr,
    // MarshalJSON): `maxSurge: 1` or `"25%"`. The document says string with format int-or-string.
    'io.k8s.apimachinery.pkg.util.intstr.IntOrString': () => ({ type: ['integer', 'string'] }),
    // A PATCH body is an object (merge patches) or an array (JSON Patch, RFC 6902), by content type
    // (kubernetes.io/docs/reference/using-api/api-concepts, "Patch"); the document says object.
    'io.k8s.apimachinery.pkg.apis.meta.v1.Patch': () => ({ type: ['object', 'array'] }),
  },
  // Failures are answered with a Status object, whatever the operation documents (only 401, with
  // no schema): kubernetes.io/docs/reference/using-api/api-concepts, "Responses" / API conventions,
  // "Response Status Kind".
  errorSchema: 'io.k8s.apimachinery.pkg.apis.meta.v1.Status',
};

export const kubernetesContract = once(
  () =>
    new OpenApiContract(readSpec('kubernetes.swagger.json'), {
      ...OPTIONS,
      cacheKey: specKey('kubernetes.swagger.json'),
    }),
);

/**
 * The same document with every field optional and nullable: what a merge patch (RFC 7386) of an
 * object may hold. A merge patch names fields of the object it changes, so it is judged against
 * the object's schema read this way; a misspelt field fails.
 */
const mergePatchContract = once(() => {
  const doc = readSpec('kubernetes.swagger.json') as { definitions: Record<string, Schema> };
  for (const definition of Object.values(doc.definitions)) partial(definition);
  return new OpenApiContract(doc, {
    ...OPTIONS,
    cacheKey: specKey('kubernetes.swagger.json', 'merge patch'),
  });
});

function partial(schema: Schema): void {
  delete schema.required;
  const properties = schema.properties;
  if (typeof properties !== 'object' || properties === null) return;
  for (const [name, property] of Object.entries(properties as Record<string, Schema>)) {
    partial(property);
    if (property.items && typeof property.items === 'object') partial(property.items as Schema);
    (properties as Record<string, Schema>)[name] = { anyOf: [property, { type: 'null' }] };
  }
}

/** The group-version prefixes the document has (`/api/v1/`, `/apis/apps/v1/`). */
const builtInGroups = once(() => {
  const doc = readSpec('kubernetes.swagger.json') as { paths: Record<string, unknown> };
  const prefixes = new Set<string>();
  for (const path of Object.keys(doc.paths)) {
    const match = /^(\/api\/v1\/|\/apis\/[^/{]+\/[^/{]+\/)/.exec(path);
    if (match?.[1]) prefixes.add(match[1]);
  }
  return prefixes;
});

/** `/apis/<group>/<version>/` of a custom resource, which the document does not describe. */
function isCustomResource(path: string): boolean {
  const match = /^\/apis\/([^/]+)\/([^/]+)\//.exec(path);
  return match !== null && !builtInGroups().has(match[0]);
}

const mediaTypeOf = (exchange: SimExchange) => exchange.contentType?.split(';')[0]?.trim().toLowerCase();

function checkRequest(exchange: SimExchange): string[] {
  const problems = kubernetesContract().checkRequest(exchange);
  if (exchange.method !== 'PATCH' || problems.length > 0) return problems;
  const mediaType = mediaTypeOf(exchange);
  if (mediaType === 'application/merge-patch+json') {
    const contract = mergePatchContract();
    const operation = contract.operation(exchange.method, exchange.path);
    const target = typeof operation === 'string' ? undefined : operation.operation.responses?.['200']?.schema;
    if (target)
      return contract
        .validate(target, exchange.body, 'merge patch')
        .map((p) => `${exchange.method} ${exchange.path}: ${p}`);
  }
  if (mediaType === 'application/json-patch+json' && !Array.isArray(exchange.body))
    return [`${exchange.method} ${exchange.path}: a JSON Patch body must be a list of operations (RFC 6902)`];
  return [];
}

/**
 * Every exchange with the Kubernetes simulator, except custom resources (Argo CD Applications,
 * operators' kinds), whose schemas are their CRDs' and not in Kubernetes' document.
 */
export const kubernetesChecker: ContractChecker = splitChecker(
  'Kubernetes',
  (simulator, exchange) => simulator === 'kubernetes' && !isCustomResource(exchange.path),
  checkRequest,
  (exchange) => kubernetesContract().checkAnswer(exchange),
);
