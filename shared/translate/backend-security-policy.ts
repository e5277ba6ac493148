// Envoy AI Gateway `BackendSecurityPolicy` (aigateway.envoyproxy.io v1alpha1/v1beta1) → IR: which
// AIServiceBackends it targets and where their credential comes from (an API key Secret, or AWS
// credentials for SigV4). Only Secret references are kept; the values are served through SDS.

import {
  type AwsAuthIR,
  type BackendSecurityPolicyIR,
  Reason,
  type ResourceId,
  type SecretRef,
} from '../ir/types.ts';
import { AI_GATEWAY_VERSIONS } from '../resources/ai-service-backend.ts';
import { checkRegion } from '../resources/aws.ts';
import {
  type BackendSecurityPolicySpec,
  BackendSecurityPolicySpecSchema,
  BSP_BLOCK_BY_TYPE,
  BSP_TYPES,
  type SecretObjectReference,
} from '../resources/backend-security-policy.ts';
import { byKeys } from '../resources/envoy-gateway-backend.ts';
import {
  type FieldError,
  type KubeObject,
  makeIrItem,
  type ResourceTranslator,
  resourceId,
  type Validation,
  validateSpec,
} from './common.ts';

export const translateBackendSecurityPolicy: ResourceTranslator<'BackendSecurityPolicy'> = (obj, ctx) => {
  const id = resourceId(obj, ctx);
  return makeIrItem('BackendSecurityPolicy', obj, ctx, translate(obj, id));
};

type Fail = (field: string, message: string, reason?: string) => undefined;
type SupportedType = (typeof BSP_TYPES)[number];

const AI_GATEWAY_GROUP = 'aigateway.envoyproxy.io';

/** The Secret key each type reads, as Envoy AI Gateway documents it. */
const SECRET_KEY: Record<Exclude<SupportedType, 'AWSCredentials'>, string> = {
  APIKey: 'apiKey',
  AzureAPIKey: 'apiKey',
  AnthropicAPIKey: 'apiKey',
};

function translate(obj: KubeObject, id: ResourceId): Validation<BackendSecurityPolicyIR> {
  const errors: FieldError[] = [];
  const fail: Fail = (field, message, reason) => {
    errors.push(reason === undefined ? { field, message } : { field, message, reason });
    return undefined;
  };
  const parsed = validateSpec(
    obj,
    { group: 'aigateway.envoyproxy.io', versions: AI_GATEWAY_VERSIONS },
    BackendSecurityPolicySpecSchema,
  );
  if (!parsed.valid) return parsed;
  const spec = parsed.result;

  const targetRefs = targets(spec, fail);
  if (spec.credentialOverride !== undefined) {
    fail(
      'spec.credentialOverride',
      'per-request credentials are not supported by fleetplane',
      Reason.UnsupportedValue,
    );
  }
  const type = spec.type;
  if (!isSupported(type)) {
    fail(
      'spec.type',
      `${type} is not supported: fleetplane cannot mint ${type === 'AzureCredentials' ? 'Azure' : 'GCP'} access ` +
        `tokens; supported types: ${BSP_TYPES.join(', ')}`,
      Reason.UnsupportedValue,
    );
    return { valid: false, errors };
  }
  const block = BSP_BLOCK_BY_TYPE[type];
  for (const [other, key] of Object.entries(BSP_BLOCK_BY_TYPE)) {
    if (other !== type && spec[key] !== undefined)
      fail(`spec.${key}`, `must not be set when type is ${type}`);
  }

  let result: BackendSecurityPolicyIR | undefined;
  if (type === 'AWSCredentials') {
    const aws = spec.awsCredentials ? awsCredentials(spec.awsCredentials, id, fail) : undefined;
    if (spec.awsCredentials === undefined) fail(`spec.${block}`, `required when type is ${type}`);
    if (aws) result = { targetRefs, type, aws };
  } else {
    const holder = spec[BSP_BLOCK_BY_TYPE[type]];
    if (holder === undefined) {
      fail(`spec.${block}`, `required when type is ${type}: secretRef names the Secret holding the key`);
    } else {
      const secretRef = secret(holder.secretRef, `spec.${block}.secretRef`, SECRET_KEY[type], id, fail);
      if (secretRef) result = { targetRefs, type, secretRef };
    }
  }
  return errors.length > 0 || result === undefined ? { valid: false, errors } : { valid: true, result };
}

function isSupported(type: BackendSecurityPolicySpec['type']): type is SupportedType {
  return (BSP_TYPES as readonly string[]).includes(type);
}

function targets(spec: BackendSecurityPolicySpec, fail: Fail): BackendSecurityPolicyIR['targetRefs'] {
  const out: BackendSecurityPolicyIR['targetRefs'] = [];
  (spec.targetRefs ?? []).forEach((ref, i) => {
    if (ref.group !== AI_GATEWAY_GROUP || ref.kind !== 'AIServiceBackend') {
      fail(
        `spec.targetRefs[${i}]`,
        `${ref.group === '' ? '' : `${ref.group}/`}${ref.kind} ${ref.name} is not supported; ` +
          `target an AIServiceBackend (group ${AI_GATEWAY_GROUP})`,
        Reason.InvalidKind,
      );
      return;
    }
    if (!out.some((t) => t.name === ref.name)) out.push({ group: ref.group, kind: ref.kind, name: ref.name });
  });
  return out.sort(byKeys((t) => t.name));
}

/** A core Secret in the policy's own namespace; anything else would need a ReferenceGrant. */
function secret(
  ref: SecretObjectReference,
  field: string,
  key: string,
  id: ResourceId,
  fail: Fail,
): SecretRef | undefined {
  if ((ref.group ?? '') !== '' || (ref.kind ?? 'Secret') !== 'Secret') {
    return fail(
      field,
      `${ref.group ? `${ref.group}/` : ''}${ref.kind} is not supported; reference a Secret`,
      Reason.InvalidKind,
    );
  }
  if (ref.namespace !== undefined && ref.namespace !== id.namespace) {
    return fail(
      `${field}.namespace`,
      `Secret ${ref.namespace}/${ref.name} is in another namespace; cross-namespace Secret references are not ` +
        `allowed: create the Secret in namespace ${id.namespace}`,
      Reason.RefNotPermitted,
    );
  }
  return { kind: 'Secret', namespace: id.namespace, name: ref.name, key };
}

function awsCredentials(
  c: NonNullable<BackendSecurityPolicySpec['awsCredentials']>,
  id: ResourceId,
  fail: Fail,
): BackendSecurityPolicyIR['aws'] {
  const problem = checkRegion(c.region);
  if (problem) fail('spec.awsCredentials.region', problem);
  if (c.oidcExchangeToken !== undefined) {
    return fail(
      'spec.awsCredentials.oidcExchangeToken',
      'OIDC token exchange is not supported; use credentialsFile, or omit both to use the proxy default ' +
        'credential chain (IRSA, EKS Pod Identity)',
      Reason.UnsupportedValue,
    );
  }
  let auth: AwsAuthIR | undefined = { mode: 'defaultChain' };
  const file = c.credentialsFile;
  if (file) {
    // The IR has no profile field: Envoy's credentials-file provider is given the default profile.
    if (file.profile !== undefined && file.profile !== 'default') {
      fail(
        'spec.awsCredentials.credentialsFile.profile',
        `profile "${file.profile}" is not supported; put the credentials under [default]`,
        Reason.UnsupportedValue,
      );
    }
    const secretRef = secret(
      file.secretRef,
      'spec.awsCredentials.credentialsFile.secretRef',
      'credentials',
      id,
      fail,
    );
    auth = secretRef && { mode: 'secret', secretRef };
  }
  if (problem || auth === undefined) return undefined;
  return { region: c.region, auth };
}
