// Kubernetes Services: an EDS cluster per Service port fed by a ClusterLoadAssignment built from the
// Service's EndpointSlices, or a DNS cluster for ExternalName Services.

import type {
  EndpointSliceIR,
  ResourceId,
  ServiceIR,
  ServicePortIR,
  UpstreamProtocolIR,
} from '../../ir/types.ts';
import { clusterName } from '../names.ts';
import { type BuiltCluster, type ClusterBuildContext, type JsonObject, TypeUrl } from '../types.ts';
import { clusterBase, lbEndpoints, loadAssignment } from './endpoints.ts';
import { httpVersionFor, typedExtensionProtocolOptions } from './protocol.ts';
import { upstreamTlsTransportSocket } from './tls.ts';

const PROTOCOL_BY_APP_PROTOCOL: Record<string, UpstreamProtocolIR> = {
  'kubernetes.io/h2c': 'h2c',
  'kubernetes.io/ws': 'ws',
  'kubernetes.io/wss': 'wss',
  http2: 'http2',
  grpc: 'http2',
};

/** The upstream protocol an `appProtocol` asks for (Gateway API GEP-1911), if it is one we know. */
export function protocolForAppProtocol(appProtocol: string | undefined): UpstreamProtocolIR | undefined {
  return appProtocol === undefined ? undefined : PROTOCOL_BY_APP_PROTOCOL[appProtocol];
}

/** A slice port serves a Service port when their names match; two unnamed ports match too. */
function matchesServicePort(slicePortName: string | undefined, port: ServicePortIR): boolean {
  return (slicePortName ?? '') === (port.name ?? '');
}

function relevantSlices(service: ResourceId, slices: EndpointSliceIR[]): EndpointSliceIR[] {
  // FQDN slices cannot feed EDS: EDS endpoints must be IP addresses.
  return slices.filter((s) => s.serviceName === service.name && s.addressType !== 'FQDN');
}

/**
 * The ClusterLoadAssignment for one Service port: ready endpoints only, on the slice's port number
 * (the target port), one locality per zone. Empty, not missing, when nothing is ready, so Envoy
 * answers 503 instead of waiting for EDS.
 */
export function serviceLoadAssignment(
  name: string,
  service: ResourceId,
  port: ServicePortIR,
  slices: EndpointSliceIR[],
): JsonObject {
  const byZone = new Map<string, Array<{ address: string; port: number }>>();
  for (const slice of relevantSlices(service, slices)) {
    const slicePort = slice.ports.find((p) => matchesServicePort(p.name, port));
    if (!slicePort) continue;
    for (const endpoint of slice.endpoints) {
      // Kubernetes defines no meaning for addresses after the first (kube-proxy ignores them too).
      const [address] = endpoint.addresses;
      if (!endpoint.ready || address === undefined) continue;
      const zone = endpoint.zone ?? '';
      byZone.set(zone, [...(byZone.get(zone) ?? []), { address, port: slicePort.port }]);
    }
  }
  const zones = [...byZone.keys()].sort();
  const localities = zones.map((zone): JsonObject => {
    const members = lbEndpoints(
      (byZone.get(zone) ?? []).map((m) => ({ address: { kind: 'ip', address: m.address, port: m.port } })),
    );
    return zone === '' ? { lb_endpoints: members } : { locality: { zone }, lb_endpoints: members };
  });
  return { '@type': TypeUrl.ClusterLoadAssignment, cluster_name: name, endpoints: localities };
}

function protocolFor(service: ResourceId, port: ServicePortIR, slices: EndpointSliceIR[]) {
  const sliceAppProtocol = relevantSlices(service, slices)
    .flatMap((s) => s.ports)
    .find((p) => matchesServicePort(p.name, port) && p.appProtocol !== undefined)?.appProtocol;
  return protocolForAppProtocol(port.appProtocol ?? sliceAppProtocol);
}

export function buildServiceCluster(
  id: ResourceId,
  service: ServiceIR,
  port: ServicePortIR,
  slices: EndpointSliceIR[],
  ctx: ClusterBuildContext,
): BuiltCluster {
  const name = clusterName(id, port.port);
  const externalName = service.type === 'ExternalName' ? service.externalName : undefined;
  let cluster: JsonObject;
  const endpoints: JsonObject[] = [];
  if (service.type === 'ExternalName') {
    // ExternalName has no endpoints: Kubernetes DNS answers with a CNAME, so resolve the name on
    // the Service port (targetPort does not apply).
    cluster = {
      ...clusterBase(name, externalName ? 'STRICT_DNS' : 'STATIC'),
      load_assignment: loadAssignment(
        name,
        externalName
          ? [{ address: { kind: 'fqdn', hostname: externalName, port: port.port }, priority: 0 }]
          : [],
      ),
    };
  } else {
    cluster = {
      ...clusterBase(name, 'EDS'),
      eds_cluster_config: { eds_config: { ads: {}, resource_api_version: 'V3' } },
    };
    endpoints.push(serviceLoadAssignment(name, id, port, slices));
  }
  if (ctx.tls) {
    cluster.transport_socket = upstreamTlsTransportSocket(ctx.tls, ctx.sds, {
      hostSni: externalName !== undefined,
    });
  }
  const protocolOptions = typedExtensionProtocolOptions({
    httpVersion: httpVersionFor(protocolFor(id, port, slices)),
  });
  if (protocolOptions) cluster.typed_extension_protocol_options = protocolOptions;
  return { clusterName: name, clusters: [cluster], endpoints, route: {}, listenerHttpFilters: [] };
}
