// API-key auth for AI backends: the `credential_injector` upstream filter with a generic credential
// read from SDS, so the key is served by the relay or a file and never appears in a snapshot.

import type { SecretRef } from '../../ir/types.ts';
import { sdsSecretConfig } from '../sds.ts';
import type { JsonObject, SdsMode } from '../types.ts';
import { ExtensionName, ExtensionType, typedExtension } from './extensions.ts';

/**
 * Sets `header: <prefix><secret>` on every upstream request. The SDS resource must be a Secret with
 * `generic_secret`.
 */
export function credentialInjectorFilter(
  secretRef: SecretRef,
  header: string,
  prefix: string,
  sds: SdsMode,
): JsonObject {
  const credential = typedExtension(ExtensionName.GenericCredential, ExtensionType.GenericCredential, {
    credential: sdsSecretConfig(secretRef, sds),
    header,
    ...(prefix ? { header_value_prefix: prefix } : {}),
  });
  return typedExtension(ExtensionName.CredentialInjector, ExtensionType.CredentialInjector, {
    // Without overwrite the filter keeps a client-sent header of the same name, so a client could
    // choose the provider account. Requests still fail closed while the secret is not yet loaded
    // (allow_request_without_credential stays false).
    overwrite: true,
    credential,
  });
}
