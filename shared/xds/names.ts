// Stable names for xDS resources. Names are API: proxies, dashboards and the relay key on them.

import type { ObjectRef, SecretRef } from '../ir/types.ts';

const PREFIX_BY_GROUP_KIND: Record<string, string> = {
  '/Service': 'kube',
  'gateway.kgateway.dev/Backend': 'backend',
  'gateway.envoyproxy.io/Backend': 'egbackend',
  'aigateway.envoyproxy.io/AIServiceBackend': 'aiservicebackend',
};

/** Cluster name for a backend reference, e.g. `kube_default_echo_8080`, `backend_default_lambda`. */
export function clusterName(
  ref: Pick<ObjectRef, 'group' | 'kind' | 'namespace' | 'name'>,
  port?: number,
): string {
  const prefix = PREFIX_BY_GROUP_KIND[`${ref.group}/${ref.kind}`] ?? `${ref.kind.toLowerCase()}`;
  return port === undefined
    ? `${prefix}_${ref.namespace}_${ref.name}`
    : `${prefix}_${ref.namespace}_${ref.name}_${port}`;
}

/** SDS secret name for a Secret or ConfigMap reference, e.g. `secret/default/tls-cert`. */
export function sdsSecretName(ref: SecretRef): string {
  const base = `${ref.kind.toLowerCase()}/${ref.namespace}/${ref.name}`;
  return ref.key ? `${base}#${ref.key}` : base;
}

/** File name used for an SDS secret in path mode (`/` is not allowed in file names). */
export function sdsFileName(ref: SecretRef): string {
  return `${sdsSecretName(ref).replaceAll('/', '.').replaceAll('#', '.')}.yaml`;
}
