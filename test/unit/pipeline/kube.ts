// Kubernetes objects and change events for pipeline tests: a fleetplane GatewayClass, two
// Gateways, and routes from both to one shared kgateway Backend.

import type { ChangeEventDetail } from '../../../shared/events/change-event.ts';
import { splitApiVersion } from '../../../shared/events/change-event.ts';

export type Obj = Record<string, unknown> & {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string };
};

export const gatewayClass: Obj = {
  apiVersion: 'gateway.networking.k8s.io/v1',
  kind: 'GatewayClass',
  metadata: { name: 'fleetplane' },
  spec: { controllerName: 'fleetplane.dev/gateway-controller' },
};

export function gateway(name: string, port: number): Obj {
  return {
    apiVersion: 'gateway.networking.k8s.io/v1',
    kind: 'Gateway',
    metadata: { name, namespace: 'infra' },
    spec: {
      gatewayClassName: 'fleetplane',
      listeners: [{ name: 'http', protocol: 'HTTP', port, allowedRoutes: { namespaces: { from: 'All' } } }],
    },
  };
}

export function backend(host: string): Obj {
  return {
    apiVersion: 'gateway.kgateway.dev/v1alpha1',
    kind: 'Backend',
    metadata: { name: 'payments-api', namespace: 'shop' },
    spec: { static: { hosts: [{ host, port: 443 }] } },
  };
}

export function route(name: string, gatewayName: string): Obj {
  return {
    apiVersion: 'gateway.networking.k8s.io/v1',
    kind: 'HTTPRoute',
    metadata: { name, namespace: 'shop' },
    spec: {
      parentRefs: [{ name: gatewayName, namespace: 'infra' }],
      hostnames: [`${name}.example.com`],
      rules: [{ backendRefs: [{ group: 'gateway.kgateway.dev', kind: 'Backend', name: 'payments-api' }] }],
    },
  };
}

/** Every object of the fleet: what a forwarder's initial list would send. */
export function fleet(backendHost = 'api.payments.example.net'): Obj[] {
  return [
    gatewayClass,
    gateway('edge', 8080),
    gateway('internal', 9090),
    backend(backendHost),
    route('public', 'edge'),
    route('private', 'internal'),
  ];
}

export function upsert(object: Obj, resourceVersion: string, clusterId = 'c1'): ChangeEventDetail {
  const { group, version } = splitApiVersion(object.apiVersion);
  return {
    schemaVersion: 1,
    clusterId,
    group,
    version,
    kind: object.kind,
    namespace: object.metadata.namespace ?? '',
    name: object.metadata.name,
    resourceVersion,
    change: 'UPSERT',
    origin: 'watch',
    observedAt: '2026-03-01T00:00:00Z',
    object,
  };
}

export function remove(object: Obj, resourceVersion: string, clusterId = 'c1'): ChangeEventDetail {
  const { object: _dropped, ...rest } = upsert(object, resourceVersion, clusterId);
  return { ...rest, change: 'DELETE' };
}
