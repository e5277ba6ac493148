// EndpointSlice → IR: the owning Service (from its label), ports and endpoints. Endpoints and
// their addresses are sorted, since the API server gives them no meaningful order.

import { isIPv4, isIPv6 } from 'node:net';
import type { EndpointSliceIR } from '../ir/types.ts';
import { dropNulls } from '../resources/common.ts';
import { endpointSliceSchema, SERVICE_NAME_LABEL } from '../resources/core.ts';
import {
  apiVersionFailure,
  type FieldError,
  makeIrItem,
  type ResourceTranslator,
  validateSchema,
} from './common.ts';

const FQDN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

const ADDRESS_CHECK: Record<EndpointSliceIR['addressType'], (address: string) => boolean> = {
  IPv4: (a) => isIPv4(a),
  // A zone index (fe80::1%eth0) is not a valid endpoint address.
  IPv6: (a) => isIPv6(a) && !a.includes('%'),
  FQDN: (a) => a.length <= 253 && FQDN.test(a),
};

export const translateEndpointSlice: ResourceTranslator<'EndpointSlice'> = (obj, ctx) => {
  const errors: FieldError[] = [];
  const version = apiVersionFailure(obj.apiVersion, 'discovery.k8s.io', ['v1']);
  if (version) return makeIrItem('EndpointSlice', obj, ctx, version);
  const serviceName = obj.metadata.labels?.[SERVICE_NAME_LABEL];
  if (typeof serviceName !== 'string' || serviceName === '')
    errors.push({
      field: `metadata.labels[${JSON.stringify(SERVICE_NAME_LABEL)}]`,
      message: 'is required: it names the Service this EndpointSlice belongs to',
    });
  const body = { addressType: obj.addressType, ports: obj.ports, endpoints: obj.endpoints };
  const parsed = validateSchema(endpointSliceSchema, dropNulls(body));
  if (!parsed.valid)
    return makeIrItem('EndpointSlice', obj, ctx, { valid: false, errors: [...errors, ...parsed.errors] });

  const { addressType } = parsed.result;
  const check = ADDRESS_CHECK[addressType];
  const endpoints: EndpointSliceIR['endpoints'] = (parsed.result.endpoints ?? []).map((e, i) => {
    e.addresses.forEach((address, j) => {
      if (!check(address))
        errors.push({
          field: `endpoints[${i}].addresses[${j}]`,
          message: `${JSON.stringify(address)} is not a valid ${addressType === 'FQDN' ? 'DNS name' : `${addressType} address`} (addressType is ${addressType})`,
        });
    });
    // Kubernetes: an unknown ready state is to be read as ready.
    const endpoint: EndpointSliceIR['endpoints'][number] = {
      addresses: [...new Set(e.addresses)].sort(),
      ready: e.conditions?.ready ?? true,
    };
    if (e.zone !== undefined) endpoint.zone = e.zone;
    return endpoint;
  });
  if (errors.length > 0 || serviceName === undefined)
    return makeIrItem('EndpointSlice', obj, ctx, { valid: false, errors });

  const ports: EndpointSliceIR['ports'] = [];
  for (const p of parsed.result.ports ?? []) {
    // A port without a number means "all ports" in Kubernetes; there is nothing to route to.
    if (p.port === undefined) continue;
    ports.push({
      ...(p.name ? { name: p.name } : {}),
      port: p.port,
      protocol: p.protocol ?? 'TCP',
      ...(p.appProtocol !== undefined ? { appProtocol: p.appProtocol } : {}),
    });
  }
  ports.sort((a, b) => cmp(a.name ?? '', b.name ?? '') || a.port - b.port || cmp(a.protocol, b.protocol));
  endpoints.sort((a, b) => cmp(endpointKey(a), endpointKey(b)));

  return makeIrItem('EndpointSlice', obj, ctx, {
    valid: true,
    result: { serviceName, addressType, ports, endpoints },
  });
};

function endpointKey(e: EndpointSliceIR['endpoints'][number]): string {
  return `${e.addresses.join(',')}|${e.zone ?? ''}|${e.ready}`;
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
