import { describe, expect, it } from 'vitest';
import {
  AWS_CREDENTIALS_DIR,
  awsCredentialProvider,
  awsRequestSigningFilter,
} from '../../../../shared/xds/clusters/aws-signing.ts';
import { secretRef } from './fixtures.ts';

const ADS = { type: 'ads' } as const;

describe('awsCredentialProvider', () => {
  it('omits the provider for the default chain', () => {
    expect(awsCredentialProvider({ mode: 'defaultChain' }, ADS)).toBeUndefined();
  });

  it('assumes the role in a custom chain, with the external ID when set', () => {
    // Act
    const provider = awsCredentialProvider(
      { mode: 'assumeRole', roleArn: 'arn:aws:iam::1:role/r', roleSessionName: 's', externalId: 'e' },
      ADS,
    );

    // Assess
    expect(provider).toEqual({
      custom_credential_provider_chain: true,
      assume_role_credential_provider: {
        role_arn: 'arn:aws:iam::1:role/r',
        role_session_name: 's',
        external_id: 'e',
      },
    });
  });

  it('leaves out an empty session name and a missing external ID', () => {
    // Act
    const provider = awsCredentialProvider(
      { mode: 'assumeRole', roleArn: 'arn:aws:iam::1:role/r', roleSessionName: '' },
      ADS,
    );

    // Assess
    expect(provider).toEqual({
      custom_credential_provider_chain: true,
      assume_role_credential_provider: { role_arn: 'arn:aws:iam::1:role/r' },
    });
  });

  it('reads a Secret as a watched credentials file next to the SDS files, never inline', () => {
    // Act
    const provider = awsCredentialProvider(
      { mode: 'secret', secretRef: secretRef('aws', 'credentials') },
      {
        type: 'path',
        dir: '/etc/envoy/sds',
      },
    );

    // Assess
    expect(provider).toEqual({
      custom_credential_provider_chain: true,
      credentials_file_provider: {
        credentials_data_source: {
          filename: '/etc/envoy/sds/secret.default.aws.credentials.credentials',
          watched_directory: { path: '/etc/envoy/sds' },
        },
      },
    });
    expect(JSON.stringify(provider)).not.toContain('inline');
  });

  it('uses the fixed credentials directory when SDS comes over ADS', () => {
    // Act
    const provider = awsCredentialProvider({ mode: 'secret', secretRef: secretRef('aws') }, ADS);

    // Assess
    expect(JSON.stringify(provider)).toContain(`${AWS_CREDENTIALS_DIR}/secret.default.aws.credentials`);
  });
});

describe('awsRequestSigningFilter', () => {
  it('names the service and region', () => {
    // Act
    const filter = awsRequestSigningFilter('bedrock', 'us-east-1', { mode: 'defaultChain' }, ADS);

    // Assess
    expect(filter).toEqual({
      name: 'envoy.filters.http.aws_request_signing',
      typed_config: {
        '@type': 'type.googleapis.com/envoy.extensions.filters.http.aws_request_signing.v3.AwsRequestSigning',
        service_name: 'bedrock',
        region: 'us-east-1',
      },
    });
  });
});
