import { describe, expect, it } from 'vitest';
import { credentialInjectorFilter } from '../../../../shared/xds/clusters/credential-injector.ts';
import { secretRef } from './fixtures.ts';

describe('credentialInjectorFilter', () => {
  it('injects a generic SDS credential with a header prefix and overwrites client headers', () => {
    // Act
    const filter = credentialInjectorFilter(secretRef('openai', 'apiKey'), 'Authorization', 'Bearer ', {
      type: 'ads',
    });

    // Assess
    expect(filter).toEqual({
      name: 'envoy.filters.http.credential_injector',
      typed_config: {
        '@type':
          'type.googleapis.com/envoy.extensions.filters.http.credential_injector.v3.CredentialInjector',
        overwrite: true,
        credential: {
          name: 'envoy.http.injected_credentials.generic',
          typed_config: {
            '@type': 'type.googleapis.com/envoy.extensions.http.injected_credentials.generic.v3.Generic',
            credential: {
              name: 'secret/default/openai#apiKey',
              sds_config: { ads: {}, resource_api_version: 'V3' },
            },
            header: 'Authorization',
            header_value_prefix: 'Bearer ',
          },
        },
      },
    });
  });

  it('omits an empty prefix', () => {
    // Act
    const filter = credentialInjectorFilter(secretRef('azure'), 'api-key', '', { type: 'ads' });

    // Assess
    expect(JSON.stringify(filter)).not.toContain('header_value_prefix');
  });
});
