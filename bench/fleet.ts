// Synthetic fleet for benchmarks: Backends of every kind, HTTPRoutes and Gateways spread over
// namespaces. Deterministic: the same sizes always give the same objects.

import type { KubeObject } from '../shared/translate/common.ts';

export interface FleetSize {
  backends: number;
  routes: number;
  gateways: number;
  namespaces: number;
}

export const DEFAULT_FLEET: FleetSize = { backends: 10_000, routes: 5_000, gateways: 50, namespaces: 100 };

const ns = (i: number) => `ns-${String(i).padStart(3, '0')}`;

/** The i-th Backend: kgateway static, Lambda, AI, DFP, or Envoy Gateway fqdn, in rotation. */
export function backendObject(i: number, namespace: string, variant = 0): KubeObject {
  const name = `be-${i}`;
  const metadata = { name, namespace, resourceVersion: String(1000 + variant) };
  switch (i % 5) {
    case 0:
      return {
        apiVersion: 'gateway.kgateway.dev/v1alpha1',
        kind: 'Backend',
        metadata,
        spec: {
          type: 'Static',
          static: { hosts: [{ host: `svc-${i}.internal.example`, port: 8080 + variant }] },
        },
      };
    case 1:
      return {
        apiVersion: 'gateway.kgateway.dev/v1alpha1',
        kind: 'Backend',
        metadata,
        spec: {
          type: 'AWS',
          aws: {
            accountId: '123456789012',
            region: 'eu-west-1',
            auth: { type: 'AssumeRole', roleArn: 'arn:aws:iam::123456789012:role/invoke' },
            lambda: { functionName: `fn-${i}`, qualifier: variant === 0 ? '$LATEST' : `v${variant}` },
          },
        },
      };
    case 2:
      return {
        apiVersion: 'gateway.kgateway.dev/v1alpha1',
        kind: 'Backend',
        metadata,
        spec: {
          type: 'AI',
          ai: {
            llm: {
              openai: {
                model: 'gpt-4o-mini',
                authToken: { kind: 'SecretRef', secretRef: { name: 'llm-key' } },
              },
            },
          },
        },
      };
    case 3:
      return {
        apiVersion: 'gateway.envoyproxy.io/v1alpha1',
        kind: 'Backend',
        metadata,
        spec: { endpoints: [{ fqdn: { hostname: `api-${i}.partner.example`, port: 443 + variant } }] },
      };
    default:
      return {
        apiVersion: 'gateway.kgateway.dev/v1alpha1',
        kind: 'Backend',
        metadata,
        spec: {
          type: 'Static',
          static: {
            hosts: [{ host: `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`, port: 80 + variant }],
          },
        },
      };
  }
}

function backendRef(i: number): Record<string, unknown> {
  const group = i % 5 === 3 ? 'gateway.envoyproxy.io' : 'gateway.kgateway.dev';
  return { group, kind: 'Backend', name: `be-${i}` };
}

export function generateFleet(size: FleetSize = DEFAULT_FLEET): KubeObject[] {
  const objects: KubeObject[] = [
    {
      apiVersion: 'gateway.networking.k8s.io/v1',
      kind: 'GatewayClass',
      metadata: { name: 'fleetplane' },
      spec: { controllerName: 'fleetplane.dev/gateway-controller' },
    },
  ];
  for (let n = 0; n < size.namespaces; n++) {
    objects.push({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'llm-key', namespace: ns(n) },
      type: 'Opaque',
      data: { Authorization: 'cmVkYWN0ZWQ=' },
    });
  }
  for (let g = 0; g < size.gateways; g++) {
    objects.push({
      apiVersion: 'gateway.networking.k8s.io/v1',
      kind: 'Gateway',
      metadata: { name: `gw-${g}`, namespace: ns(g % size.namespaces) },
      spec: {
        gatewayClassName: 'fleetplane',
        listeners: [
          { name: 'http', protocol: 'HTTP', port: 8080, allowedRoutes: { namespaces: { from: 'All' } } },
        ],
      },
    });
  }
  // Backends live in the namespace of the routes that use them: backend i → route i % routes.
  for (let i = 0; i < size.backends; i++)
    objects.push(backendObject(i, ns((i % size.routes) % size.namespaces)));
  for (let r = 0; r < size.routes; r++) {
    const namespace = ns(r % size.namespaces);
    const mine: number[] = [];
    for (let i = r; i < size.backends; i += size.routes) mine.push(i);
    objects.push({
      apiVersion: 'gateway.networking.k8s.io/v1',
      kind: 'HTTPRoute',
      metadata: { name: `route-${r}`, namespace },
      spec: {
        parentRefs: [
          { name: `gw-${r % size.gateways}`, namespace: ns((r % size.gateways) % size.namespaces) },
        ],
        hostnames: [`r${r}.example.com`],
        rules: mine.map((i, k) => ({
          matches: [{ path: { type: 'PathPrefix', value: `/svc-${k}` } }],
          backendRefs: [backendRef(i)],
        })),
      },
    });
  }
  return objects;
}
