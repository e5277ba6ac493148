// GatewayClass → IR: the controller name, which decides whether a Gateway of this class is ours.

import { GATEWAY_API_GROUP, GATEWAY_API_VERSIONS, gatewayClassSpec } from '../resources/gateway-api.ts';
import { makeIrItem, type ResourceTranslator, validateSpec } from './common.ts';

export const translateGatewayClass: ResourceTranslator<'GatewayClass'> = (obj, ctx) => {
  const parsed = validateSpec(
    obj,
    { group: GATEWAY_API_GROUP, versions: GATEWAY_API_VERSIONS.GatewayClass },
    gatewayClassSpec,
  );
  if (!parsed.valid) return makeIrItem('GatewayClass', obj, ctx, parsed);
  return makeIrItem('GatewayClass', obj, ctx, {
    valid: true,
    result: { controllerName: parsed.result.controllerName },
  });
};
