import { describe, expect, it } from 'vitest';
import { translateGatewayClass } from '../../../../shared/translate/gateway-class.ts';
import { acceptedSpec, ctx, fixture, manifest, rejection } from './support.ts';

describe('translateGatewayClass', () => {
  it('keeps the controller name and the source metadata', () => {
    // Prepare
    const obj = fixture('gateway-class');

    // Act
    const item = translateGatewayClass(obj, ctx);

    // Assess
    expect(acceptedSpec(item)).toEqual({ controllerName: 'fleetplane.dev/gateway-controller' });
    expect(item).toMatchObject({
      kind: 'GatewayClass',
      uid: obj.metadata.uid,
      resourceVersion: '101',
      generation: 1,
    });
    expect(item.conditions[0]?.observedGeneration).toBe(1);
  });

  it('accepts the v1beta1 API version', () => {
    const obj = { ...fixture('gateway-class'), apiVersion: 'gateway.networking.k8s.io/v1beta1' };

    const item = translateGatewayClass(obj, ctx);

    expect(acceptedSpec(item).controllerName).toBe('fleetplane.dev/gateway-controller');
  });

  it('rejects a missing controllerName, naming the class and the field', () => {
    const obj = manifest(`
apiVersion: gateway.networking.k8s.io/v1
kind: GatewayClass
metadata: { name: broken }
spec: {}
`);

    const condition = rejection(translateGatewayClass(obj, ctx));

    expect(condition.reason).toBe('Invalid');
    expect(condition.message).toBe('GatewayClass broken: spec.controllerName: is required');
  });

  it('rejects a controllerName without a domain prefix and shows the bad value', () => {
    const obj = manifest(`
apiVersion: gateway.networking.k8s.io/v1
kind: GatewayClass
metadata: { name: broken }
spec: { controllerName: fleetplane }
`);

    const condition = rejection(translateGatewayClass(obj, ctx));

    expect(condition.message).toContain('spec.controllerName: "fleetplane" is not a controller name');
  });

  it('rejects an unknown API version with UnsupportedValue', () => {
    const obj = { ...fixture('gateway-class'), apiVersion: 'gateway.networking.k8s.io/v2' };

    const condition = rejection(translateGatewayClass(obj, ctx));

    expect(condition.reason).toBe('UnsupportedValue');
    expect(condition.message).toContain('apiVersion: "gateway.networking.k8s.io/v2" is not supported');
  });
});
