// SigV4 signing for AWS backends (Lambda, Bedrock): the `aws_request_signing` upstream filter and the
// credential provider that says where its keys come from. Keys never enter a snapshot.
//
// Envoy pitfalls:
// - `credential_provider` without `custom_credential_provider_chain: true` only *modifies* the
//   default chain, and that merge ignores `assume_role_credential_provider` entirely: Envoy would
//   sign with the proxy's own identity and the assumed role would silently never be used.
// - Envoy has no SDS-backed AWS credential source. A Secret is therefore delivered as an AWS
//   credentials file next to the SDS files and read through `credentials_file_provider`, with a
//   watched directory so an atomic rename (how the agent writes) reloads it.

import type { AwsAuthIR, SecretRef } from '../../ir/types.ts';
import { sdsSecretName } from '../names.ts';
import type { JsonObject, SdsMode } from '../types.ts';
import { ExtensionName, ExtensionType, typedExtension } from './extensions.ts';

/**
 * Where AWS credentials files live when SDS comes over ADS (there is no SDS directory then). The
 * agent or a secrets sidecar writes `<dir>/<awsCredentialsFileName(ref)>` in AWS credentials format.
 */
export const AWS_CREDENTIALS_DIR = '/etc/fleetplane/aws-credentials';

/** `secret.<ns>.<name>[.<key>].credentials`: an INI file with a `[default]` profile. */
export function awsCredentialsFileName(ref: SecretRef): string {
  return `${sdsSecretName(ref).replaceAll('/', '.').replaceAll('#', '.')}.credentials`;
}

export function awsCredentialsFile(ref: SecretRef, sds: SdsMode): { dir: string; path: string } {
  const dir = sds.type === 'path' ? sds.dir : AWS_CREDENTIALS_DIR;
  return { dir, path: `${dir}/${awsCredentialsFileName(ref)}` };
}

/** The `AwsCredentialProvider`, or undefined for Envoy's default chain. */
export function awsCredentialProvider(auth: AwsAuthIR, sds: SdsMode): JsonObject | undefined {
  switch (auth.mode) {
    // Default chain: environment, credentials file, web identity (IRSA), container credentials
    // (EKS Pod Identity, ECS task role), then the EC2 instance profile.
    case 'defaultChain':
      return undefined;
    case 'assumeRole':
      // The AssumeRole call itself is signed with the default chain (no nested credential_provider).
      return {
        custom_credential_provider_chain: true,
        assume_role_credential_provider: {
          role_arn: auth.roleArn,
          ...(auth.roleSessionName ? { role_session_name: auth.roleSessionName } : {}),
          ...(auth.externalId ? { external_id: auth.externalId } : {}),
        },
      };
    case 'secret': {
      const file = awsCredentialsFile(auth.secretRef, sds);
      return {
        custom_credential_provider_chain: true,
        credentials_file_provider: {
          credentials_data_source: { filename: file.path, watched_directory: { path: file.dir } },
        },
      };
    }
  }
}

/** `envoy.filters.http.aws_request_signing` for `service` (e.g. `lambda`, `bedrock`) in `region`. */
export function awsRequestSigningFilter(
  service: string,
  region: string,
  auth: AwsAuthIR,
  sds: SdsMode,
): JsonObject {
  const provider = awsCredentialProvider(auth, sds);
  return typedExtension(ExtensionName.AwsRequestSigning, ExtensionType.AwsRequestSigning, {
    service_name: service,
    region,
    ...(provider ? { credential_provider: provider } : {}),
  });
}
