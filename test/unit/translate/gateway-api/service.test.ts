import { describe, expect, it } from 'vitest';
import { translateService } from '../../../../shared/translate/service.ts';
import { acceptedSpec, ctx, fixture, manifest, rejection } from './support.ts';

function service(spec: string) {
  return manifest(`
apiVersion: v1
kind: Service
metadata: { name: svc, namespace: default }
spec:
${spec}
`);
}

describe('translateService', () => {
  it('translates the ports, sorted, with type, protocol and targetPort defaulted', () => {
    // Prepare
    const obj = fixture('service');

    // Act
    const item = translateService(obj, ctx);

    // Assess
    expect(acceptedSpec(item)).toEqual({
      type: 'ClusterIP',
      ports: [
        { name: 'http', port: 8080, targetPort: 8080, protocol: 'TCP' },
        { name: 'https', port: 8443, targetPort: 'https', protocol: 'TCP', appProtocol: 'kubernetes.io/h2c' },
      ],
    });
    expect(item.id).toEqual({ group: '', kind: 'Service', namespace: 'web', name: 'api' });
  });

  it('accepts an ExternalName Service without ports', () => {
    const obj = service('  type: ExternalName\n  externalName: api.example.com');

    const spec = acceptedSpec(translateService(obj, ctx));

    expect(spec).toEqual({ type: 'ExternalName', externalName: 'api.example.com', ports: [] });
  });

  it('accepts a headless Service without ports', () => {
    const obj = service('  clusterIP: None\n  selector: { app: db }');

    expect(acceptedSpec(translateService(obj, ctx)).ports).toEqual([]);
  });

  it('rejects an ExternalName Service without externalName', () => {
    const obj = service('  type: ExternalName');

    const condition = rejection(translateService(obj, ctx));

    expect(condition.message).toBe(
      'Service default/svc: spec.externalName: is required when type is ExternalName',
    );
  });

  it('requires ports on a ClusterIP Service', () => {
    const obj = service('  selector: { app: api }');

    const condition = rejection(translateService(obj, ctx));

    expect(condition.message).toContain('spec.ports: at least one port is required');
  });

  it('rejects duplicate and missing port names when there are several ports', () => {
    const obj = service(`  ports:
    - { name: web, port: 80 }
    - { name: web, port: 81 }
    - { port: 82 }`);

    const condition = rejection(translateService(obj, ctx));

    expect(condition.message).toContain('spec.ports[1].name: "web" is already the name of spec.ports[0]');
    expect(condition.message).toContain(
      'spec.ports[2].name: is required when the Service has more than one port',
    );
  });

  it('rejects bad ports, target ports, protocols and types', () => {
    const obj = service(`  type: Gateway
  ports:
    - { name: a, port: 0, protocol: HTTP }
    - { name: b, port: 80, targetPort: "8080" }`);

    const condition = rejection(translateService(obj, ctx));

    expect(condition.message).toContain('spec.type: Invalid option');
    expect(condition.message).toContain('spec.ports[0].port: must be between 1 and 65535');
    expect(condition.message).toContain('spec.ports[0].protocol: Invalid option');
    expect(condition.message).toContain('spec.ports[1].targetPort');
  });

  it('rejects the same port number twice for one protocol', () => {
    const obj = service(`  ports:
    - { name: a, port: 80 }
    - { name: b, port: 80, protocol: TCP }
    - { name: c, port: 80, protocol: UDP }`);

    const condition = rejection(translateService(obj, ctx));

    expect(condition.message).toBe(
      'Service default/svc: spec.ports[1].port: 80/TCP is already used by spec.ports[0]',
    );
  });
});
