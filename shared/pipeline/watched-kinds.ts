// The Kubernetes resources the producers watch: one registry for the forwarder (API paths, the
// --kinds flag), audit ingestion (which audited group/resource is ours) and the deploy manifests
// (RBAC and the audit policy are tested against it). Versions are the ones the forwarder lists and
// watches; the translators accept the others named in shared/resources.

import { FleetplaneError } from '../errors.ts';

export interface WatchedKind {
  /** Unique name, as `--kinds` takes it: the Kind, or `Kind.group` where two groups define it. */
  readonly name: string;
  /** API group; '' is the core group. */
  readonly group: string;
  readonly version: string;
  readonly kind: string;
  /** The resource name in API paths and RBAC rules. */
  readonly plural: string;
  readonly namespaced: boolean;
}

const GATEWAY_API = 'gateway.networking.k8s.io';
const KGATEWAY = 'gateway.kgateway.dev';
const ENVOY_GATEWAY = 'gateway.envoyproxy.io';
const AI_GATEWAY = 'aigateway.envoyproxy.io';

export const WATCHED_KINDS: readonly WatchedKind[] = [
  {
    name: 'GatewayClass',
    group: GATEWAY_API,
    version: 'v1',
    kind: 'GatewayClass',
    plural: 'gatewayclasses',
    namespaced: false,
  },
  {
    name: 'Gateway',
    group: GATEWAY_API,
    version: 'v1',
    kind: 'Gateway',
    plural: 'gateways',
    namespaced: true,
  },
  {
    name: 'HTTPRoute',
    group: GATEWAY_API,
    version: 'v1',
    kind: 'HTTPRoute',
    plural: 'httproutes',
    namespaced: true,
  },
  // v1beta1 is what every Gateway API release up to 1.4 serves.
  {
    name: 'ReferenceGrant',
    group: GATEWAY_API,
    version: 'v1beta1',
    kind: 'ReferenceGrant',
    plural: 'referencegrants',
    namespaced: true,
  },
  // v1 from Gateway API 1.4; older clusters: --kinds BackendTLSPolicy/v1alpha3.
  {
    name: 'BackendTLSPolicy',
    group: GATEWAY_API,
    version: 'v1',
    kind: 'BackendTLSPolicy',
    plural: 'backendtlspolicies',
    namespaced: true,
  },
  { name: 'Service', group: '', version: 'v1', kind: 'Service', plural: 'services', namespaced: true },
  {
    name: 'EndpointSlice',
    group: 'discovery.k8s.io',
    version: 'v1',
    kind: 'EndpointSlice',
    plural: 'endpointslices',
    namespaced: true,
  },
  { name: 'Secret', group: '', version: 'v1', kind: 'Secret', plural: 'secrets', namespaced: true },
  {
    name: `Backend.${KGATEWAY}`,
    group: KGATEWAY,
    version: 'v1alpha1',
    kind: 'Backend',
    plural: 'backends',
    namespaced: true,
  },
  {
    name: `Backend.${ENVOY_GATEWAY}`,
    group: ENVOY_GATEWAY,
    version: 'v1alpha1',
    kind: 'Backend',
    plural: 'backends',
    namespaced: true,
  },
  {
    name: 'AIServiceBackend',
    group: AI_GATEWAY,
    version: 'v1alpha1',
    kind: 'AIServiceBackend',
    plural: 'aiservicebackends',
    namespaced: true,
  },
  {
    name: 'BackendSecurityPolicy',
    group: AI_GATEWAY,
    version: 'v1alpha1',
    kind: 'BackendSecurityPolicy',
    plural: 'backendsecuritypolicies',
    namespaced: true,
  },
];

export class UnknownKindError extends FleetplaneError {}

/** `gateway.networking.k8s.io/v1` or `v1`. */
export function apiVersionOf(kind: Pick<WatchedKind, 'group' | 'version'>): string {
  return kind.group === '' ? kind.version : `${kind.group}/${kind.version}`;
}

/**
 * The collection path client-node lists and watches: `/api/v1/services`,
 * `/apis/<group>/<version>/namespaces/<ns>/<plural>`. Cluster-scoped kinds ignore `namespace`.
 */
export function collectionPath(kind: WatchedKind, namespace?: string): string {
  const root = kind.group === '' ? `/api/${kind.version}` : `/apis/${kind.group}/${kind.version}`;
  const scope = kind.namespaced && namespace ? `/namespaces/${encodeURIComponent(namespace)}` : '';
  return `${root}${scope}/${kind.plural}`;
}

/**
 * Resolves `--kinds` values. Each is a name (`HTTPRoute`, `Backend.gateway.kgateway.dev`), a
 * resource (`httproutes`, `backends.gateway.envoyproxy.io`), case-insensitive, optionally with
 * `/<version>` to list and watch another served version (`BackendTLSPolicy/v1alpha3`).
 */
export function resolveKinds(values: readonly string[]): WatchedKind[] {
  const out: WatchedKind[] = [];
  for (const raw of values.flatMap((v) => v.split(',')).map((v) => v.trim())) {
    if (raw === '') continue;
    const [name = '', version, extra] = raw.split('/');
    if (extra !== undefined || version === '') {
      throw new UnknownKindError(`--kinds ${JSON.stringify(raw)}: expected <Kind>[.<group>][/<version>]`);
    }
    const found = findKind(name, raw);
    const kind = version ? { ...found, version } : found;
    if (!out.some((k) => k.name === kind.name)) out.push(kind);
  }
  if (out.length === 0) throw new UnknownKindError(`--kinds: name at least one of ${kindNames()}`);
  return out;
}

/** The watched kind of an audited `objectRef` (API group and resource), if it is one of ours. */
export function watchedKindOfResource(
  group: string,
  resource: string,
  kinds: readonly WatchedKind[] = WATCHED_KINDS,
): WatchedKind | undefined {
  return kinds.find((k) => k.group === group && k.plural === resource);
}

function findKind(name: string, raw: string): WatchedKind {
  const wanted = name.toLowerCase();
  const matches = WATCHED_KINDS.filter((k) =>
    [k.name, k.kind, k.plural, `${k.kind}.${k.group}`, `${k.plural}.${k.group}`]
      .map((alias) => alias.toLowerCase())
      .includes(wanted),
  );
  const exact = matches.filter((k) => k.name.toLowerCase() === wanted);
  if (exact.length === 1 && exact[0]) return exact[0];
  if (matches.length === 1 && matches[0]) return matches[0];
  if (matches.length > 1) {
    throw new UnknownKindError(
      `--kinds ${JSON.stringify(raw)} is ambiguous: use one of ${matches.map((k) => k.name).join(', ')}`,
    );
  }
  throw new UnknownKindError(`--kinds ${JSON.stringify(raw)} is not a watched kind; use ${kindNames()}`);
}

function kindNames(): string {
  return WATCHED_KINDS.map((k) => k.name).join(', ');
}
