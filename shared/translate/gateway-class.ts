// GatewayClass → IR: the controller name, which decides whether a Gateway of this class is ours.

import { Reason } from '../ir/types.ts';
import { apiVersionProblem, dropNulls } from '../resources/common.ts';
import { GATEWAY_API_GROUP, GATEWAY_API_VERSIONS, gatewayClassSpec } from '../resources/gateway-api.ts';
import { makeIrItem, type ResourceTranslator, validateSchema } from './common.ts';

export const translateGatewayClass: ResourceTranslator<'GatewayClass'> = (obj, ctx) => {
  const version = apiVersionProblem(obj.apiVersion, GATEWAY_API_GROUP, GATEWAY_API_VERSIONS.GatewayClass);
  if (version)
    return makeIrItem('GatewayClass', obj, ctx, {
      valid: false,
      errors: [{ field: 'apiVersion', message: version, reason: Reason.UnsupportedValue }],
    });
  const parsed = validateSchema(gatewayClassSpec, dropNulls(obj.spec), 'spec');
  if (!parsed.valid) return makeIrItem('GatewayClass', obj, ctx, parsed);
  return makeIrItem('GatewayClass', obj, ctx, {
    valid: true,
    result: { controllerName: parsed.result.controllerName },
  });
};
