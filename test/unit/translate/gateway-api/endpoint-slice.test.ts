import { describe, expect, it } from 'vitest';
import { translateEndpointSlice } from '../../../../shared/translate/endpoint-slice.ts';
import { acceptedSpec, ctx, fixture, manifest, rejection } from './support.ts';

function slice(body: string, labels = '{ kubernetes.io/service-name: api }') {
  return manifest(`
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: { name: api-1, namespace: web, labels: ${labels} }
${body}
`);
}

describe('translateEndpointSlice', () => {
  it('translates the slice with endpoints and addresses sorted and ready defaulted', () => {
    // Prepare
    const obj = fixture('endpoint-slice');

    // Act
    const item = translateEndpointSlice(obj, ctx);

    // Assess
    expect(acceptedSpec(item)).toEqual({
      serviceName: 'api',
      addressType: 'IPv4',
      ports: [
        { name: 'http', port: 8080, protocol: 'TCP' },
        { name: 'https', port: 8443, protocol: 'TCP', appProtocol: 'kubernetes.io/h2c' },
      ],
      endpoints: [
        { addresses: ['10.0.0.5'], ready: true },
        { addresses: ['10.0.1.3', '10.0.1.9'], ready: true, zone: 'eu-west-1a' },
        { addresses: ['10.0.2.7'], ready: false, zone: 'eu-west-1b' },
      ],
    });
  });

  it('gives the same output whatever order the API server lists endpoints in', () => {
    const obj = fixture('endpoint-slice');
    const reversed = { ...obj, endpoints: [...(obj.endpoints as unknown[])].reverse() };

    const a = translateEndpointSlice(obj, ctx);
    const b = translateEndpointSlice(reversed, ctx);

    expect(JSON.stringify(b)).toBe(JSON.stringify(a));
  });

  it('accepts an empty slice written with null endpoints and ports', () => {
    const obj = slice('addressType: IPv6\nendpoints: null\nports: null');

    expect(acceptedSpec(translateEndpointSlice(obj, ctx))).toEqual({
      serviceName: 'api',
      addressType: 'IPv6',
      ports: [],
      endpoints: [],
    });
  });

  it('accepts IPv6 and FQDN addresses of the matching type', () => {
    const v6 = slice('addressType: IPv6\nendpoints: [{ addresses: ["fd00::2", "fd00::1"] }]');
    const fqdn = slice('addressType: FQDN\nendpoints: [{ addresses: ["api.example.com"] }]');

    expect(acceptedSpec(translateEndpointSlice(v6, ctx)).endpoints[0]?.addresses).toEqual([
      'fd00::1',
      'fd00::2',
    ]);
    expect(acceptedSpec(translateEndpointSlice(fqdn, ctx)).endpoints[0]?.addresses).toEqual([
      'api.example.com',
    ]);
  });

  it('rejects a slice without the service-name label, naming the label', () => {
    const obj = slice('addressType: IPv4\nendpoints: []', '{ app: api }');

    const condition = rejection(translateEndpointSlice(obj, ctx));

    expect(condition.message).toBe(
      'EndpointSlice web/api-1: metadata.labels["kubernetes.io/service-name"]: is required: it names the Service this EndpointSlice belongs to',
    );
  });

  it('rejects addresses that do not match the addressType', () => {
    const obj = slice(`addressType: IPv4
endpoints:
  - addresses: ["10.0.0.1", "fd00::1"]
  - addresses: ["api.example.com"]`);

    const condition = rejection(translateEndpointSlice(obj, ctx));

    expect(condition.message).toContain(
      'endpoints[0].addresses[1]: "fd00::1" is not a valid IPv4 address (addressType is IPv4)',
    );
    expect(condition.message).toContain(
      'endpoints[1].addresses[0]: "api.example.com" is not a valid IPv4 address',
    );
    expect(condition.message).not.toContain('addresses[0]: "10.0.0.1"');
  });

  it('rejects IPv4 addresses in an IPv6 slice', () => {
    const obj = slice('addressType: IPv6\nendpoints: [{ addresses: ["10.0.0.1"] }]');

    const condition = rejection(translateEndpointSlice(obj, ctx));

    expect(condition.message).toContain('endpoints[0].addresses[0]: "10.0.0.1" is not a valid IPv6 address');
  });

  it('rejects a missing addressType, an endpoint without addresses and a bad port', () => {
    const obj = slice('endpoints: [{ addresses: [] }]\nports: [{ port: 0 }]');

    const condition = rejection(translateEndpointSlice(obj, ctx));

    expect(condition.message).toContain('addressType: is required');
    expect(condition.message).toContain('endpoints[0].addresses: at least one address is required');
    expect(condition.message).toContain('ports[0].port: must be between 1 and 65535');
  });
});
