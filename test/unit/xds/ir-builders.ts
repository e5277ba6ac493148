// Typed IR items for snapshot-builder tests, built directly (not through the per-resource translators).

import {
  type AnyIrItem,
  type BackendRefIR,
  IR_SCHEMA_VERSION,
  type IrItem,
  type IrKind,
  type IrSpecByKind,
  type ObjectRef,
} from '../../../shared/ir/types.ts';

export const CONTROLLER = 'fleetplane.dev/gateway-controller';

const GROUP_BY_KIND: Record<IrKind, string> = {
  GatewayClass: 'gateway.networking.k8s.io',
  Gateway: 'gateway.networking.k8s.io',
  HTTPRoute: 'gateway.networking.k8s.io',
  ReferenceGrant: 'gateway.networking.k8s.io',
  BackendTLSPolicy: 'gateway.networking.k8s.io',
  Service: '',
  EndpointSlice: 'discovery.k8s.io',
  Secret: '',
  Backend: 'gateway.envoyproxy.io',
  AIServiceBackend: 'aigateway.envoyproxy.io',
  BackendSecurityPolicy: 'aigateway.envoyproxy.io',
};

export function item<K extends IrKind>(
  kind: K,
  name: string,
  spec: IrSpecByKind[K] | null,
  options: { namespace?: string; group?: string; labels?: Record<string, string> } = {},
): AnyIrItem {
  const it: IrItem<K> = {
    schemaVersion: IR_SCHEMA_VERSION,
    kind,
    id: {
      group: options.group ?? GROUP_BY_KIND[kind],
      kind,
      namespace: options.namespace ?? 'default',
      name,
    },
    labels: options.labels ?? {},
    spec,
    conditions: [
      spec === null
        ? { type: 'Accepted', status: 'False', reason: 'Invalid', message: `${kind} ${name}: invalid` }
        : { type: 'Accepted', status: 'True', reason: 'Accepted', message: 'Resource is valid' },
    ],
  };
  return it as AnyIrItem;
}

export function gatewayClass(name = 'fleetplane', controllerName = CONTROLLER): AnyIrItem {
  return item('GatewayClass', name, { controllerName }, { namespace: '' });
}

export function httpListener(
  name: string,
  port: number,
  hostname?: string,
): IrSpecByKind['Gateway']['listeners'][number] {
  const listener: IrSpecByKind['Gateway']['listeners'][number] = {
    name,
    port,
    protocol: 'HTTP',
    allowedRoutes: { namespaces: { from: 'Same' }, kinds: [] },
  };
  if (hostname !== undefined) listener.hostname = hostname;
  return listener;
}

export function gateway(
  name: string,
  listeners: IrSpecByKind['Gateway']['listeners'],
  options: { namespace?: string; className?: string } = {},
): AnyIrItem {
  return item(
    'Gateway',
    name,
    { gatewayClassName: options.className ?? 'fleetplane', listeners },
    { namespace: options.namespace ?? 'default' },
  );
}

export function serviceRef(
  name: string,
  port?: number,
  options: { namespace?: string; weight?: number } = {},
): BackendRefIR {
  const ref: BackendRefIR = {
    ref: { group: '', kind: 'Service', namespace: options.namespace ?? 'default', name },
    weight: options.weight ?? 1,
    filters: [],
  };
  if (port !== undefined) ref.port = port;
  return ref;
}

export function backendRef(ref: ObjectRef, weight = 1): BackendRefIR {
  return { ref, weight, filters: [] };
}

export function parentRef(
  name = 'gw',
  options: { namespace?: string; sectionName?: string; port?: number } = {},
): IrSpecByKind['HTTPRoute']['parentRefs'][number] {
  const ref: IrSpecByKind['HTTPRoute']['parentRefs'][number] = {
    group: 'gateway.networking.k8s.io',
    kind: 'Gateway',
    namespace: options.namespace ?? 'default',
    name,
  };
  if (options.sectionName !== undefined) ref.sectionName = options.sectionName;
  if (options.port !== undefined) ref.port = options.port;
  return ref;
}

export function httpRoute(
  name: string,
  spec: Partial<IrSpecByKind['HTTPRoute']> & Pick<IrSpecByKind['HTTPRoute'], 'rules'>,
  options: { namespace?: string } = {},
): AnyIrItem {
  return item(
    'HTTPRoute',
    name,
    { parentRefs: spec.parentRefs ?? [parentRef()], hostnames: spec.hostnames ?? [], rules: spec.rules },
    options,
  );
}

export function rule(
  backendRefs: BackendRefIR[],
  extra: Partial<IrSpecByKind['HTTPRoute']['rules'][number]> = {},
): IrSpecByKind['HTTPRoute']['rules'][number] {
  return { matches: [], filters: [], backendRefs, ...extra };
}

export function service(
  name: string,
  ports: number[],
  options: { namespace?: string; portNames?: string[] } = {},
): AnyIrItem {
  return item(
    'Service',
    name,
    {
      type: 'ClusterIP',
      ports: ports.map((port, i) => {
        const p: IrSpecByKind['Service']['ports'][number] = { port, protocol: 'TCP' };
        const portName = options.portNames?.[i];
        if (portName !== undefined) p.name = portName;
        return p;
      }),
    },
    options,
  );
}

export function endpointSlice(
  serviceName: string,
  port: number,
  addresses: string[],
  options: { namespace?: string; portName?: string } = {},
): AnyIrItem {
  const slicePort: IrSpecByKind['EndpointSlice']['ports'][number] = { port, protocol: 'TCP' };
  if (options.portName !== undefined) slicePort.name = options.portName;
  return item(
    'EndpointSlice',
    `${serviceName}-abc`,
    {
      serviceName,
      addressType: 'IPv4',
      ports: [slicePort],
      endpoints: [{ addresses, ready: true }],
    },
    options,
  );
}

export function referenceGrant(
  name: string,
  namespace: string,
  from: IrSpecByKind['ReferenceGrant']['from'],
  to: IrSpecByKind['ReferenceGrant']['to'],
): AnyIrItem {
  return item('ReferenceGrant', name, { from, to }, { namespace });
}

export function tlsSecret(name: string, namespace = 'default'): AnyIrItem {
  return item('Secret', name, { type: 'kubernetes.io/tls', keys: ['tls.crt', 'tls.key'] }, { namespace });
}
