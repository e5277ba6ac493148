// Service → IR: type, external name and ports with Kubernetes defaults applied (type ClusterIP,
// protocol TCP, targetPort = port).

import type { ServicePortIR } from '../ir/types.ts';
import { serviceSpec } from '../resources/core.ts';
import { type FieldError, makeIrItem, type ResourceTranslator, validateSpec } from './common.ts';

export const translateService: ResourceTranslator<'Service'> = (obj, ctx) => {
  const parsed = validateSpec(obj, { group: '', versions: ['v1'] }, serviceSpec);
  if (!parsed.valid) return makeIrItem('Service', obj, ctx, parsed);

  const spec = parsed.result;
  const type = spec.type ?? 'ClusterIP';
  const inputs = spec.ports ?? [];
  const errors: FieldError[] = [];
  if (type === 'ExternalName' && !spec.externalName)
    errors.push({ field: 'spec.externalName', message: 'is required when type is ExternalName' });
  // Kubernetes allows a headless Service without ports; it then only publishes DNS records.
  if (inputs.length === 0 && type !== 'ExternalName' && spec.clusterIP !== 'None')
    errors.push({
      field: 'spec.ports',
      message: 'at least one port is required (unless type is ExternalName or clusterIP is None)',
    });

  const names = new Map<string, number>();
  const numbers = new Map<string, number>();
  const ports: ServicePortIR[] = inputs.map((p, i) => {
    const protocol = p.protocol ?? 'TCP';
    if (p.name === undefined && inputs.length > 1)
      errors.push({
        field: `spec.ports[${i}].name`,
        message: 'is required when the Service has more than one port',
      });
    if (p.name !== undefined) {
      const first = names.get(p.name);
      if (first !== undefined)
        errors.push({
          field: `spec.ports[${i}].name`,
          message: `${JSON.stringify(p.name)} is already the name of spec.ports[${first}]; port names must be unique`,
        });
      else names.set(p.name, i);
    }
    const key = `${p.port}/${protocol}`;
    const firstNumber = numbers.get(key);
    if (firstNumber !== undefined)
      errors.push({
        field: `spec.ports[${i}].port`,
        message: `${p.port}/${protocol} is already used by spec.ports[${firstNumber}]`,
      });
    else numbers.set(key, i);

    return {
      ...(p.name !== undefined ? { name: p.name } : {}),
      port: p.port,
      targetPort: p.targetPort ?? p.port,
      protocol,
      ...(p.appProtocol !== undefined ? { appProtocol: p.appProtocol } : {}),
    };
  });
  if (errors.length > 0) return makeIrItem('Service', obj, ctx, { valid: false, errors });

  return makeIrItem('Service', obj, ctx, {
    valid: true,
    result: {
      type,
      ...(type === 'ExternalName' && spec.externalName ? { externalName: spec.externalName } : {}),
      ports: ports.sort((a, b) => a.port - b.port || cmp(a.protocol, b.protocol)),
    },
  });
};

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
