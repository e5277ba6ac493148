// SDS references: secrets (certificates, CA bundles, API keys) are named, never inlined.

import type { SecretRef } from '../ir/types.ts';
import { sdsFileName, sdsSecretName } from './names.ts';
import type { JsonObject, SdsMode } from './types.ts';

/** An `SdsSecretConfig` for a Secret or ConfigMap reference. */
export function sdsSecretConfig(ref: SecretRef, sds: SdsMode): JsonObject {
  return { name: sdsSecretName(ref), sds_config: sdsConfigSource(ref, sds) };
}

export function sdsConfigSource(ref: SecretRef, sds: SdsMode): JsonObject {
  if (sds.type === 'ads') return { ads: {}, resource_api_version: 'V3' };
  return { path_config_source: { path: `${sds.dir}/${sdsFileName(ref)}` }, resource_api_version: 'V3' };
}
